import CoreMetrics
import SluiceHTTPClient

/// The gateway's metrics, through swift-metrics (Prometheus in `SluiceApp`).
/// Labels are endpoint (`region/endpoint`), deployment name and mode; their
/// number is bounded by the deployments that exist.
///
/// Handles are made once per label set and kept (``MetricHandles``): making
/// one asks the metrics factory, which locks its registry and sorts and
/// copies the labels, several times per request otherwise.
enum GatewayMetrics {
    /// A client request ended: `ok` (the model answered), `model_error`
    /// (it answered 5xx), `not_found`, `no_live`, `unavailable` (no healthy
    /// instance), `unreachable`, `timeout`, `answer_too_large`.
    static func request(endpoint: String, outcome: String) {
        let label = "sluice_gateway_requests_total"
        MetricHandles.counter(.init(label, endpoint, outcome), [("endpoint", endpoint), ("outcome", outcome)]).increment()
    }

    /// One call to a model, live or stealth, with its latency.
    static func modelCall(endpoint: String, deployment: String, mode: String, outcome: String, latencyMS: Double?) {
        let calls = "sluice_gateway_model_calls_total"
        MetricHandles.counter(
            .init(calls, endpoint, deployment, mode, outcome),
            [("endpoint", endpoint), ("deployment", deployment), ("mode", mode), ("outcome", outcome)]
        ).increment()
        if let latencyMS {
            let latency = "sluice_gateway_model_latency_seconds"
            MetricHandles.timer(
                .init(latency, endpoint, deployment, mode), [("endpoint", endpoint), ("deployment", deployment), ("mode", mode)]
            ).recordNanoseconds(Int64(latencyMS * 1_000_000))
        }
    }

    /// A stealth copy was sent.
    static func stealthSent(endpoint: String, deployment: String) {
        let label = "sluice_gateway_stealth_sent_total"
        MetricHandles.counter(.init(label, endpoint, deployment), [("endpoint", endpoint), ("deployment", deployment)]).increment()
    }

    /// A stealth copy was not sent: `sampled_out`, `oversize`, `queue_full`.
    static func stealthDropped(endpoint: String, deployment: String, reason: String) {
        let label = "sluice_gateway_stealth_dropped_total"
        MetricHandles.counter(
            .init(label, endpoint, deployment, reason), [("endpoint", endpoint), ("deployment", deployment), ("reason", reason)]
        ).increment()
    }

    /// The outcome label of a call.
    static func outcome(_ result: ModelCallResult) -> String {
        switch result {
        case .answered(let response, _): response.status >= 500 ? "model_error" : "ok"
        case .timedOut: "timeout"
        case .unreachable: "unreachable"
        case .answerTooLarge: "answer_too_large"
        case .noInstance: "unavailable"
        }
    }
}
