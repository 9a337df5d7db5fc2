import Logging
import Foundation
public import SluiceDomain
public import SluiceHTTP

/// `/v1/tokens`: create (the secret shown once), list, revoke. Admin only.
public struct TokensController: Sendable {
    private let store: any TokenStore

    /// A controller over `store`.
    public init(store: any TokenStore) {
        self.store = store
    }

    /// Registers the routes.
    public func addRoutes(to router: inout RouterBuilder) {
        router.on(.post, "/v1/tokens", maxBodySize: 16 * 1024) { request, context in try await create(request, context) }
        router.on(.get, "/v1/tokens") { request, context in try await list(request, context) }
        router.on(.delete, "/v1/tokens/{id}") { request, context in try await revoke(request, context) }
    }

    /// `POST /v1/tokens` `{"name","role"}` → 201 with the secret.
    func create(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.admin)
        let body = try APIJSON.decode(CreateRequest.self, from: request.body)
        let (name, role) = try body.validated()
        let secret = APIToken.generateSecret()
        let token = try await store.create(name: name, role: role, secret: secret, actor: caller.name)
        context.logger.debug("token created", metadata: ["token_id": "\(token.id)", "role": "\(role)", "actor": "\(caller.name)"])
        // The secret is shown once: no cache, and no idempotency record, may keep it.
        return try APIJSON.response(.created, CreatedToken(token, secret: secret), headers: [
            "Cache-Control": "no-store", "Location": "/v1/tokens/\(token.id.lowercasedString)",
        ])
    }

    /// `GET /v1/tokens` → active tokens, never a secret, keyset-paginated.
    func list(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        _ = try context.require(.admin)
        let page = try PageRequest(query: request.head.query)
        let after = try page.after.map { cursor throws(APIProblem) in
            guard let id = UUID(uuidString: cursor) else { throw PageRequest.invalidToken }
            return id
        }
        var tokens = try await store.list(limit: page.limit + 1, after: after)
        var next: String?
        if tokens.count > page.limit {
            tokens.removeLast(tokens.count - page.limit)
            next = tokens.last.map { PageRequest.encode($0.id.lowercasedString) }
        }
        return try APIJSON.response(.ok, Page(items: tokens.map(TokenSummary.init), nextPageToken: next))
    }

    /// `DELETE /v1/tokens/{id}` → 204; 404 when no active token has `id`.
    func revoke(_ request: HTTPRequest, _ context: RequestContext) async throws -> HTTPResponse {
        let caller = try context.require(.admin)
        let raw = context.parameters["id"] ?? ""
        guard let id = UUID(uuidString: raw) else { throw DomainError.notFound("token \(raw) not found") }
        try await store.revoke(id: id, actor: caller.name)
        context.logger.debug("token revoked", metadata: ["token_id": "\(id)", "actor": "\(caller.name)"])
        return HTTPResponse(status: .noContent)
    }

    struct CreateRequest: APIRequestBody {
        var name: String?
        var role: String?

        static let fields: Set<String> = ["name", "role"]

        /// Every field problem at once.
        func validated() throws(DomainError) -> (String, Role) {
            var violations: [DomainError.FieldViolation] = []
            if let name {
                if !ResourceName.isValid(name) { violations.append(.init(field: "name", reason: ResourceName.rule)) }
            } else {
                violations.append(.init(field: "name", reason: "is required"))
            }
            let roles = Role.allCases.map(\.rawValue).joined(separator: ", ")
            let parsed = role.flatMap(Role.init(rawValue:))
            if role == nil {
                violations.append(.init(field: "role", reason: "is required (one of \(roles))"))
            } else if parsed == nil {
                violations.append(.init(field: "role", reason: "must be one of \(roles)"))
            }
            guard violations.isEmpty, let name, let parsed else { throw .invalidFields(violations) }
            return (name, parsed)
        }
    }

    struct TokenSummary: Encodable {
        var id: String
        var name: String
        var role: String
        var createdAt: String

        init(_ token: APIToken) {
            id = token.id.lowercasedString
            name = token.name
            role = token.role.rawValue
            createdAt = APIJSON.timestamp(token.createdAt)
        }

        enum CodingKeys: String, CodingKey {
            case id, name, role, createdAt = "created_at"
        }
    }

    struct CreatedToken: Encodable {
        var id: String
        var name: String
        var role: String
        var token: String
        var createdAt: String

        init(_ token: APIToken, secret: String) {
            id = token.id.lowercasedString
            name = token.name
            role = token.role.rawValue
            self.token = secret
            createdAt = APIJSON.timestamp(token.createdAt)
        }

        enum CodingKeys: String, CodingKey {
            case id, name, role, token, createdAt = "created_at"
        }
    }
}
