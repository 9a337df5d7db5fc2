public import Logging

/// Per-request values the router and middleware provide to handlers.
public struct RequestContext: Sendable {
    /// Path parameters, percent-decoded.
    public var parameters: Parameters
    /// The matched route pattern (`/v1/datasets/{name}`), or `nil` when unmatched.
    public var route: String?
    /// The request id (from `X-Request-Id` or generated).
    public var requestID: String
    /// A logger carrying the request id.
    public var logger: Logger
    /// Values set by middleware for handlers (for example the caller's identity).
    public var values: [String: any Sendable & CustomStringConvertible] = [:]

    /// Creates a context.
    public init(parameters: Parameters = Parameters(), route: String? = nil, requestID: String = "", logger: Logger) {
        self.parameters = parameters
        self.route = route
        self.requestID = requestID
        self.logger = logger
    }

    /// Path parameters by name.
    public struct Parameters: Sendable {
        private var storage: [(String, String)] = []

        /// No parameters.
        public init() {}

        mutating func set(_ name: String, _ value: String) { storage.append((name, value)) }

        /// The raw value of `name`, or `nil`.
        public subscript(name: String) -> String? {
            storage.first { $0.0 == name }?.1
        }

        /// The value of `name` converted to `T`; throws 400 when absent or malformed.
        public func require<T: LosslessStringConvertible>(_ name: String, as type: T.Type = T.self) throws(HTTPError) -> T {
            guard let raw = self[name] else { throw HTTPError(.badRequest, "missing path parameter '\(name)'") }
            guard let value = T(raw) else { throw HTTPError(.badRequest, "path parameter '\(name)' is not a valid \(T.self)") }
            return value
        }
    }
}
