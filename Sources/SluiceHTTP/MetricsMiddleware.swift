import CoreMetrics
import SluiceSockets

/// Counts requests by route, method and status and times them, through
/// swift-metrics (Prometheus in the application). Unmatched paths share one
/// route label so that scanners cannot blow up the label set.
public struct MetricsMiddleware: HTTPMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: HTTPRequest, context: RequestContext, next: HTTPNext) async throws -> HTTPResponse {
        let start = MonotonicClock.now()
        let response = try await next(request, context)
        let elapsed = MonotonicClock.now() - start
        let route = context.route ?? "unmatched"
        let method = Self.knownMethods.contains(request.method) ? request.method.rawValue : "other"
        Counter(label: "http_requests_total", dimensions: [
            ("route", route), ("method", method), ("status", String(response.status.code)),
        ]).increment()
        CoreMetrics.Timer(label: "http_request_duration_seconds", dimensions: [("route", route), ("method", method)])
            .recordNanoseconds(Int64(clamping: elapsed))
        return response
    }

    private static let knownMethods: Set<HTTPMethod> = [.get, .head, .post, .put, .patch, .delete, .options]
}
