public import SluiceHTTP
import Foundation

/// An RFC 9457 problem document with the per-field `errors` of DESIGN.md §3:
/// `{"type","title","status","detail","errors":[{"field","message"}]}`.
public struct APIProblem: HTTPResponseError, Sendable {
    /// The status.
    public var status: HTTPStatus
    /// A human-readable explanation; never a secret or a bound value.
    public var detail: String
    /// Field errors (validation); omitted from the body when empty.
    public var errors: [FieldError]
    /// Extra headers (`WWW-Authenticate` on 401).
    public var headers: HTTPHeaders

    /// One field and what is wrong with it.
    public struct FieldError: Sendable, Encodable, Equatable {
        /// The field's JSON path, for example `role`.
        public var field: String
        /// Why it was refused.
        public var message: String
    }

    /// Creates a problem.
    public init(_ status: HTTPStatus, detail: String, errors: [FieldError] = [], headers: HTTPHeaders = [:]) {
        self.status = status
        self.detail = detail
        self.errors = errors
        self.headers = headers
    }

    private struct Body: Encodable {
        var type = "about:blank"
        var title: String
        var status: Int
        var detail: String
        var errors: [FieldError]?
    }

    public func response() -> HTTPResponse {
        let body = Body(title: status.reasonPhrase, status: status.code, detail: detail, errors: errors.isEmpty ? nil : errors)
        guard let bytes = try? JSONEncoder().encode(body) else { return ProblemDocument.response(status, detail: detail) }
        var headers: HTTPHeaders = ["Content-Type": ProblemDocument.contentType]
        for field in self.headers { headers.replaceOrAdd(name: field.name, value: field.value) }
        return HTTPResponse(status: status, headers: headers, body: Array(bytes))
    }
}
