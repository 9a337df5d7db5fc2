import Foundation
import Logging
public import SluiceDomain
public import SluiceHTTP

/// Authenticates `Authorization: Bearer <token>` on every route under `/v1`
/// except webhooks and callbacks, which carry their own signatures
/// (DESIGN.md §3), and puts the caller in the request context.
///
/// Missing, malformed, unknown and revoked tokens all get the same 401, so
/// the answer tells nothing about which tokens exist. Roles are checked by
/// handlers through ``SluiceHTTP/RequestContext/require(_:)``. The token is
/// never logged.
public struct AuthMiddleware: HTTPMiddleware {
    private let tokens: any TokenStore

    /// Authenticates against `tokens`.
    public init(tokens: any TokenStore) {
        self.tokens = tokens
    }

    public func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
        // The matched pattern when there is one, so dot segments or
        // encodings in the raw path cannot dodge the check.
        guard Self.isProtected(context.route ?? request.path) else { return try await next(request, context) }
        guard let secret = Self.bearerToken(request.headers) else {
            return DomainError.unauthorized("a bearer token is required").response()
        }
        let found: APIToken?
        do {
            found = try await tokens.authenticate(secret: secret)
        } catch {
            // The store is down (the database, as `/readyz` reports): the
            // client may retry, as after any database outage (decision 73);
            // this is not a bug to answer with a 500. The lookup is a read.
            context.logger.warning("token lookup failed", metadata: ["error": "\(error)"])
            return DomainError.unavailable("authentication is unavailable; try again shortly").response()
        }
        guard let caller = found else {
            return DomainError.unauthorized("the bearer token is invalid or revoked").response()
        }
        var context = context
        context.values[RequestContext.callerKey] = caller
        return try await next(request, context)
    }

    /// Whether `path` needs a token: `/v1` and below, except webhooks and
    /// callbacks, which their controllers authenticate themselves
    /// (`BitbucketWebhookController`: HMAC signature; `CallbacksController`:
    /// the per-run callback token).
    static func isProtected(_ path: String) -> Bool {
        guard path == "/v1" || path.hasPrefix("/v1/") else { return false }
        return !(path.hasPrefix("/v1/webhooks/") || path.hasPrefix("/v1/callbacks/"))
    }

    /// The token of a single `Authorization: Bearer <token>` field (scheme
    /// case-insensitive, RFC 9110 §11.1), or `nil`.
    static func bearerToken(_ headers: HTTPHeaders) -> String? {
        let fields = headers.values(for: "Authorization")
        guard fields.count == 1, let field = fields.first else { return nil }
        let parts = field.utf8.split(separator: space, maxSplits: 1, omittingEmptySubsequences: true)
        // The scheme is case-insensitive; `| 0x20` lowercases exactly the letters of "bearer".
        guard parts.count == 2, parts[0].elementsEqual("bearer".utf8, by: { $0 | 0x20 == $1 }) else { return nil }
        // Byte-wise, not Foundation's `trimmingCharacters`/`contains`, which
        // bridge through NSString on Linux and cost every request about 5%
        // of its CPU (make bench-api's profile). OWS is SP / HTAB (RFC 9110 §5.6.3).
        let value = parts[1]
        guard let first = value.firstIndex(where: { !isWhitespace($0) }), let last = value.lastIndex(where: { !isWhitespace($0) })
        else { return nil }
        let token = value[first...last]
        guard token.count <= 512, !token.contains(where: isWhitespace) else { return nil }
        return String(decoding: token, as: UTF8.self)
    }

    private static let space = UInt8(ascii: " ")

    private static func isWhitespace(_ byte: UInt8) -> Bool { byte == space || byte == UInt8(ascii: "\t") }
}

extension RequestContext {
    /// The key of the caller (an ``SluiceDomain/APIToken``) in ``values``.
    public static let callerKey = "sluice.caller"

    /// The authenticated caller, or `nil` outside `/v1`.
    public var caller: APIToken? { values[Self.callerKey] as? APIToken }

    /// The caller, when its role includes `role`; throws
    /// ``SluiceDomain/DomainError/unauthorized(_:)`` or ``SluiceDomain/DomainError/forbidden(required:)``.
    public func require(_ role: Role) throws(DomainError) -> APIToken {
        guard let caller else { throw .unauthorized("a bearer token is required") }
        guard caller.role.satisfies(role) else { throw .forbidden(required: role) }
        return caller
    }
}
