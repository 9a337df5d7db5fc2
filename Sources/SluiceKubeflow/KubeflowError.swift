/// A failed Kubeflow Pipelines call. `description` names the kind and
/// status only; `debugDescription` adds the server's message. Neither
/// carries the request's token.
public struct KubeflowError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What went wrong.
    public enum Code: String, Sendable, Hashable {
        /// The server answered with a non-2xx status; ``status`` and ``body`` say more.
        case httpStatus
        /// No answer: refused, timed out, cut short (``transport`` says which).
        case transport
        /// A 2xx answer whose body is not the documented JSON.
        case malformedResponse
        /// The request could not be made (a bad base URL, a signing failure).
        case invalidRequest
    }

    /// The kind of failure.
    public var code: Code
    /// The HTTP status for ``Code/httpStatus``, else 0.
    public var status: Int
    /// The server's error body (`googleRpcStatus`), when it sent one.
    public var body: KubeflowStatus?
    /// The transport failure's kind (`connectFailed`, `timeout`, ...) or a short detail.
    public var detail: String

    /// An error.
    public init(_ code: Code, status: Int = 0, body: KubeflowStatus? = nil, detail: String = "") {
        self.code = code
        self.status = status
        self.body = body
        self.detail = detail
    }

    /// Whether trying again later may succeed: transport failures, 408,
    /// 429 and 5xx. A 4xx means the request itself is wrong.
    public var isTransient: Bool {
        switch code {
        case .transport: true
        case .httpStatus: status == 408 || status == 429 || status >= 500
        case .malformedResponse, .invalidRequest: false
        }
    }

    /// Whether the request surely never reached the server: the connection
    /// was refused or never made. Any other failure may have been acted on.
    public var neverSent: Bool { code == .transport && detail == "connectFailed" }

    /// Whether the server said the run does not exist.
    public var isNotFound: Bool { code == .httpStatus && (status == 404 || body?.code == 5) }

    public var description: String {
        switch code {
        case .httpStatus: "Kubeflow answered HTTP \(status)"
        case .transport: "Kubeflow could not be reached (\(detail))"
        case .malformedResponse: "Kubeflow sent an unexpected response"
        case .invalidRequest: "the Kubeflow request could not be made (\(detail))"
        }
    }

    public var debugDescription: String {
        var text = description
        if let message = body?.message ?? body?.error { text += ": \(message)" }
        if code != .transport, !detail.isEmpty { text += " [\(detail)]" }
        return text
    }
}
