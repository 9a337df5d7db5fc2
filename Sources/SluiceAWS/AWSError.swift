/// An error answer from an AWS service: any response whose status is not
/// 2xx, with the code and message from its XML (REST-XML, EC2 Query) or
/// JSON 1.1 body. Transport failures are `HTTPClientError`s instead.
///
/// `description` names the service, code and status only; `debugDescription`
/// adds the message and the request id, for operators.
public struct AWSError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The signing name of the service that answered, e.g. `s3`, `ec2`, `ecr`, `sts`.
    public var service: String
    /// The AWS error code, e.g. `NoSuchKey`, `InvalidInstanceID.NotFound`,
    /// `RepositoryNotFoundException`; for a body without one (a HEAD), the
    /// status's name (`NotFound`, `Forbidden`, ...) or `HTTP<status>`.
    public var code: String
    /// The service's message; empty when it sent none.
    public var message: String
    /// The request id (`x-amz-request-id`, `x-amzn-RequestId` or `<RequestId>`), if any.
    public var requestID: String?
    /// The HTTP status of the response.
    public var status: Int

    /// Creates an error.
    public init(service: String, code: String, message: String = "", requestID: String? = nil, status: Int) {
        self.service = service
        self.code = code
        self.message = message
        self.requestID = requestID
        self.status = status
    }

    /// Service, code and status: `AWSError(s3 NoSuchKey, status 404)`.
    public var description: String { "AWSError(\(service) \(code), status \(status))" }

    /// Everything, the message and request id included.
    public var debugDescription: String {
        "AWSError(service: \(service), code: \(code), status: \(status), message: \(message), requestID: \(requestID ?? "nil"))"
    }

    /// Whether this is a "not found" answer (404, or a code ending in `NotFound`).
    public var isNotFound: Bool {
        status == 404 || code.hasSuffix("NotFound") || code.hasSuffix("NotFoundException") || code == "NoSuchKey"
            || code == "NoSuchBucket" || code == "NoSuchUpload"
    }

    /// A code for a body that carries none, from the status alone.
    static func codeForStatus(_ status: Int) -> String {
        switch status {
        case 301: "PermanentRedirect"
        case 304: "NotModified"
        case 400: "BadRequest"
        case 403: "Forbidden"
        case 404: "NotFound"
        case 405: "MethodNotAllowed"
        case 409: "Conflict"
        case 412: "PreconditionFailed"
        case 416: "InvalidRange"
        case 500: "InternalError"
        case 503: "ServiceUnavailable"
        default: "HTTP\(status)"
        }
    }
}
