import Foundation
import Logging
public import SluiceDomain
public import SluiceHTTP

/// `Idempotency-Key` on `POST` under `/v1` (DESIGN.md §3): a retry with the
/// same key and body gets the first response again (marked
/// `Idempotent-Replayed: true`); the same key with another body or path is a
/// 422; a retry while the first request still runs is a 409. Keys belong to
/// the caller's token.
///
/// Which first responses are kept (decision 16, decision 78): a success,
/// and a server error after which the request may have taken effect (a 5xx
/// other than a 503 with `Retry-After`: a write whose database connection
/// broke, a timeout, an unexpected failure), so that a retry with the same
/// key never runs it twice. A refusal (4xx) and a 503 with `Retry-After`
/// (nothing was done; try again) release the key, so the client can retry.
///
/// A response marked `Cache-Control: no-store` (a new token's secret) is
/// never written to the store: a replay answers 409 with the first
/// answer's `Location` instead, since the secret is shown only once
/// (decision 90).
public struct IdempotencyMiddleware: HTTPMiddleware {
    private let store: any IdempotencyStore

    /// Keeps responses in `store`.
    public init(store: any IdempotencyStore) {
        self.store = store
    }

    public func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
        guard request.head.method == .post, let key = request.headers["Idempotency-Key"], let caller = context.caller else {
            return try await next(request, context)
        }
        guard (1...255).contains(key.utf8.count), key.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            return APIProblem(.badRequest, detail: "Idempotency-Key must be 1-255 visible ASCII characters").response()
        }
        let actor = caller.id.lowercasedString
        let path = request.head.target
        switch try await store.begin(actor: actor, key: key, method: request.head.method.rawValue, path: path, body: request.body) {
        case .replay(let stored):
            return Self.response(stored)
        case .mismatch:
            return DomainError.invalid(field: "Idempotency-Key", reason: "was already used for a different request").response()
        case .inProgress:
            return APIProblem(.conflict, detail: "a request with this Idempotency-Key is still in progress; retry later",
                headers: ["Retry-After": "1"]).response()
        case .claimed:
            break
        }
        let response: HTTPResponse
        do {
            response = try await next(request, context)
        } catch {
            try? await store.release(actor: actor, key: key)
            throw error
        }
        guard Self.isKept(response), case .bytes(let body) = response.body else {
            try? await store.release(actor: actor, key: key)
            return response
        }
        do {
            try await store.complete(actor: actor, key: key, response: Self.kept(response, body: body))
        } catch {
            // The request's own answer still goes out: replacing it with the
            // store's failure (a 503 "try again") would invite the very retry
            // that may run the request twice. The claim expires unanswered.
            context.logger.warning("idempotency response not stored; the key's claim will expire", metadata: [
                "reason": "\(String(reflecting: error))",
            ])
        }
        return response
    }

    /// Whether `response` is the key's for good: a success, or a server
    /// error that does not say the request may simply be sent again.
    static func isKept(_ response: HTTPResponse) -> Bool {
        switch response.status.code {
        case 200..<300: true
        case 503: response.headers["Retry-After"] == nil
        case 500..<600: true
        default: false
        }
    }

    /// What is stored for `response`: the response itself, or, when it
    /// must not be stored (`Cache-Control: no-store`), a 409 that points to
    /// what the first request made.
    static func kept(_ response: HTTPResponse, body: [UInt8]) -> StoredResponse {
        let location = response.headers["Location"]
        guard response.headers.tokens(for: "cache-control").contains("no-store") else {
            return StoredResponse(
                status: response.status.code, contentType: response.headers["Content-Type"], location: location,
                etag: response.headers["ETag"], body: body)
        }
        let detail = "the first request with this Idempotency-Key succeeded"
            + (location.map { " and made \($0)" } ?? "") + "; its answer held a secret that is shown only once and not kept"
        let problem = APIProblem(.conflict, detail: detail).response()
        guard case .bytes(let problemBody) = problem.body else {
            return StoredResponse(status: 409, contentType: nil, location: location, body: [])
        }
        return StoredResponse(status: 409, contentType: problem.headers["Content-Type"], location: location, body: problemBody)
    }

    static func response(_ stored: StoredResponse) -> HTTPResponse {
        var headers: HTTPHeaders = ["Idempotent-Replayed": "true"]
        if let contentType = stored.contentType { headers.add(name: "Content-Type", value: contentType) }
        if let location = stored.location { headers.add(name: "Location", value: location) }
        if let etag = stored.etag { headers.add(name: "ETag", value: etag) }
        return HTTPResponse(status: HTTPStatus(code: stored.status), headers: headers, body: stored.body)
    }
}
