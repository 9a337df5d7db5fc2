public import SluiceDomain
public import SluiceHTTP

/// The one place where domain errors become HTTP answers (STYLE.md point 1).
extension DomainError: HTTPResponseError {
    public var status: HTTPStatus { problem.status }

    public func response() -> HTTPResponse { problem.response() }

    /// The problem document for this error.
    public var problem: APIProblem {
        switch self {
        case .notFound(let detail):
            APIProblem(.notFound, detail: detail)
        case .conflict(let detail):
            APIProblem(.conflict, detail: detail)
        case .invalid(let field, let reason):
            APIProblem(.unprocessableContent, detail: "\(field): \(reason)", errors: [.init(field: field, message: reason)])
        case .invalidFields(let violations):
            APIProblem(
                .unprocessableContent, detail: violations.map { "\($0.field): \($0.reason)" }.joined(separator: "; "),
                errors: violations.map { .init(field: $0.field, message: $0.reason) })
        case .preconditionFailed(let detail):
            APIProblem(.preconditionFailed, detail: detail)
        case .unauthorized(let detail):
            // RFC 6750 §3: a 401 names the scheme the client must use.
            APIProblem(.unauthorized, detail: detail, headers: ["WWW-Authenticate": #"Bearer realm="sluice""#])
        case .forbidden(let required):
            APIProblem(.forbidden, detail: "this action requires the \(required) role")
        case .unavailable(let detail):
            APIProblem(.serviceUnavailable, detail: detail, headers: ["Retry-After": "5"])
        }
    }
}
