import CoreMetrics
import SluiceHTTPClient

/// The gateway's metrics, through swift-metrics (Prometheus in `SluiceApp`).
/// Labels are endpoint (`region/endpoint`), deployment name and mode; their
/// number is bounded by the deployments that exist.
///
/// The handles of a route's series are made when its routing document is
/// loaded (``EndpointMetrics``, ``TargetMetrics``), so a request looks
/// nothing up: every series of a known endpoint and deployment exists, at
/// zero, from the first load on. ``MetricHandles`` keeps one handle per
/// label set across reloads.
enum GatewayMetrics {
    static let requests = "sluice_gateway_requests_total"
    static let calls = "sluice_gateway_model_calls_total"
    static let latency = "sluice_gateway_model_latency_seconds"
    static let stealthSent = "sluice_gateway_stealth_sent_total"
    static let stealthDropped = "sluice_gateway_stealth_dropped_total"

    /// A request for an endpoint no routing document names.
    static func unknownEndpoint() {
        MetricHandles.counter(.init(requests, "unknown", "not_found"), [("endpoint", "unknown"), ("outcome", "not_found")]).increment()
    }
}

/// How one model call, and so a client request, ended (the `outcome` label).
enum CallOutcome: Int, CaseIterable {
    /// The model answered (below 500).
    case ok
    /// It answered 5xx.
    case modelError
    case timeout
    case unreachable
    case answerTooLarge
    /// No healthy instance.
    case unavailable

    var label: String {
        switch self {
        case .ok: "ok"
        case .modelError: "model_error"
        case .timeout: "timeout"
        case .unreachable: "unreachable"
        case .answerTooLarge: "answer_too_large"
        case .unavailable: "unavailable"
        }
    }

    init(_ result: ModelCallResult) {
        switch result {
        case .answered(let response, _): self = response.status >= 500 ? .modelError : .ok
        case .timedOut: self = .timeout
        case .unreachable: self = .unreachable
        case .answerTooLarge: self = .answerTooLarge
        case .noInstance: self = .unavailable
        }
    }
}

/// Why a stealth copy gave the challenger no prediction (the `reason`
/// label): not sent (`sampled_out`, `oversize`, `queue_full`), or sent and
/// not answered within the stealth timeout (`timeout`; the call is also
/// counted, and recorded with status 0, as a model call timing out).
enum StealthDrop: Int, CaseIterable {
    case sampledOut, oversize, queueFull, timeout

    var label: String {
        switch self {
        case .sampledOut: "sampled_out"
        case .oversize: "oversize"
        case .queueFull: "queue_full"
        case .timeout: "timeout"
        }
    }
}

/// `sluice_gateway_requests_total` of one endpoint: a client request ended
/// with the live call's outcome, or `no_live`.
struct EndpointMetrics: Sendable {
    private let outcomes: [Counter]
    private let noLive: Counter

    init(endpoint: String) {
        func counter(_ outcome: String) -> Counter {
            MetricHandles.counter(
                .init(GatewayMetrics.requests, endpoint, outcome), [("endpoint", endpoint), ("outcome", outcome)])
        }
        outcomes = CallOutcome.allCases.map { counter($0.label) }
        noLive = counter("no_live")
    }

    func request(_ outcome: CallOutcome) { outcomes[outcome.rawValue].increment() }
    func requestWithoutLive() { noLive.increment() }
}

/// The series of one deployment in one mode on one endpoint: calls by
/// outcome, their latency, and for stealth deployments the copies sent
/// and dropped.
struct TargetMetrics: Sendable {
    private let calls: [Counter]
    private let latency: Timer
    private let sent: Counter?
    /// By ``StealthDrop``; empty for a live target.
    private let dropped: [Counter]

    init(endpoint: String, deployment: String, mode: String) {
        calls = CallOutcome.allCases.map { outcome in
            MetricHandles.counter(
                .init(GatewayMetrics.calls, endpoint, deployment, mode, outcome.label),
                [("endpoint", endpoint), ("deployment", deployment), ("mode", mode), ("outcome", outcome.label)])
        }
        latency = MetricHandles.timer(
            .init(GatewayMetrics.latency, endpoint, deployment, mode),
            [("endpoint", endpoint), ("deployment", deployment), ("mode", mode)])
        // Live targets make no copies: they have no copy series.
        guard mode == "stealth" else {
            sent = nil
            dropped = []
            return
        }
        sent = MetricHandles.counter(
            .init(GatewayMetrics.stealthSent, endpoint, deployment), [("endpoint", endpoint), ("deployment", deployment)])
        dropped = StealthDrop.allCases.map { reason in
            MetricHandles.counter(
                .init(GatewayMetrics.stealthDropped, endpoint, deployment, reason.label),
                [("endpoint", endpoint), ("deployment", deployment), ("reason", reason.label)])
        }
    }

    /// One call ended; `latencyMS` is `nil` when none was made.
    func call(_ outcome: CallOutcome, latencyMS: Double?) {
        // The latency first: a scrape that sees the call counted sees its latency too.
        if let latencyMS { latency.recordNanoseconds(Int64(latencyMS * 1_000_000)) }
        calls[outcome.rawValue].increment()
    }

    func copySent() { sent?.increment() }
    func copyDropped(_ reason: StealthDrop) {
        if dropped.indices.contains(reason.rawValue) { dropped[reason.rawValue].increment() }
    }
}
