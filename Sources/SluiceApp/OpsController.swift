import Foundation
import SluiceHTTP

/// Health, readiness, version and metrics: the routes ops and load
/// balancers call, with no authentication and no dependencies for `/healthz`.
struct OpsController {
    let readiness: ReadinessChecks
    let startedAt: Date

    func addRoutes(to router: inout RouterBuilder) {
        router.on(.get, "/healthz") { _, _ in healthz() }
        router.on(.get, "/readyz") { _, _ in await readyz() }
        router.on(.get, "/version") { _, _ in version() }
        router.on(.get, "/metrics") { _, _ in metrics() }
    }

    /// Alive: answers as long as the process serves HTTP.
    func healthz() -> HTTPResponse {
        JSONResponse.make(.ok, Self.healthBody)
    }

    private static let healthBody: [UInt8] = Array(#"{"status":"ok"}"#.utf8)

    /// Ready: every registered check passes; 503 with the reasons otherwise.
    func readyz() async -> HTTPResponse {
        let failures = await readiness.failures()
        guard failures.isEmpty else {
            let checks = failures.map { #"{"name":"\#(ProblemDocument.escape($0.name))","reason":"\#(ProblemDocument.escape($0.reason))"}"# }
            let body = #"{"status":"unavailable","failing":[\#(checks.joined(separator: ","))]}"#
            return JSONResponse.make(.serviceUnavailable, Array(body.utf8))
        }
        return JSONResponse.make(.ok, Array(#"{"status":"ready"}"#.utf8))
    }

    func version() -> HTTPResponse {
        let formatter = ISO8601DateFormatter()
        let body = #"{"version":"\#(SluiceVersion.version)","api_versions":["v1"],"started_at":"\#(formatter.string(from: startedAt))"}"#
        return JSONResponse.make(.ok, Array(body.utf8))
    }

    func metrics() -> HTTPResponse {
        HTTPResponse(
            status: .ok, headers: ["Content-Type": "text/plain; version=0.0.4; charset=utf-8"],
            body: SluiceMetrics.exposition())
    }
}

/// JSON responses with the right content type.
enum JSONResponse {
    static func make(_ status: HTTPStatus, _ body: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: status, headers: ["Content-Type": "application/json"], body: body)
    }
}
