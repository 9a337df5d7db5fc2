/// An error that knows its HTTP answer. The router turns these (and only
/// these) into responses; anything else becomes a 500 whose detail is not
/// shown to the client.
public protocol HTTPResponseError: Error {
    /// The status to answer with.
    var status: HTTPStatus { get }
    /// The response to send (a problem document by default).
    func response() -> HTTPResponse
}

/// A plain HTTP error with a detail line, answered as a problem document.
public struct HTTPError: HTTPResponseError, Sendable, Equatable {
    /// The status.
    public let status: HTTPStatus
    /// A human-readable explanation for the client.
    public let detail: String
    /// Extra headers (for example `Allow` on 405).
    public let headers: HTTPHeaders

    /// Creates an error.
    public init(_ status: HTTPStatus, _ detail: String, headers: HTTPHeaders = [:]) {
        self.status = status
        self.detail = detail
        self.headers = headers
    }

    public func response() -> HTTPResponse {
        var response = ProblemDocument.response(status, detail: detail)
        for field in headers { response.headers.replaceOrAdd(name: field.name, value: field.value) }
        return response
    }
}
