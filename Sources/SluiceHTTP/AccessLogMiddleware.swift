import Logging
import Logging
import SluiceSockets

/// One structured log line per request at `info`: method, path (never the
/// query, which may carry tokens), route, status, duration and request id.
public struct AccessLogMiddleware: HTTPMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
        let start = MonotonicClock.now()
        let response = try await next(request, context)
        let micros = (MonotonicClock.now() - start) / 1000
        context.logger.info("request", metadata: [
            "method": "\(request.method)",
            "path": "\(request.path)",
            "route": "\(context.route ?? "unmatched")",
            "status": "\(response.status.code)",
            "duration_ms": "\(Double(micros) / 1000)",
            "remote": "\(request.remoteAddress ?? "-")",
        ])
        return response
    }
}
