/// The next step of the chain: the remaining middleware and the handler.
public typealias HTTPNext = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

/// A route handler.
public typealias HTTPHandler = @Sendable (HTTPRequest, RequestContext) async throws -> HTTPResponse

/// Code around every routed request (request ids, logs, metrics, auth).
public protocol HTTPMiddleware: Sendable {
    /// Handles `request`, calling `next` to continue the chain.
    func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse
}
