public import Foundation

/// One model's answer to one production request, as the ML Data Store
/// keeps it (DESIGN.md §4).
public struct Prediction: Sendable, Equatable {
    public var deploymentID: UUID
    public var requestID: String
    /// What the model answered; `nil` only for a call the gateway recorded
    /// with a `status` but no readable output (a failed call).
    public var output: PredictionOutput?
    public var latencyMS: Double
    public var at: Date
    /// The model server's HTTP status as the gateway saw it, 0 when it gave
    /// no answer (refused, timed out); `nil` for predictions ingested through
    /// the API.
    public var status: Int?

    /// A prediction. `status` defaults to `nil` (not recorded by the gateway).
    public init(deploymentID: UUID, requestID: String, output: PredictionOutput?, latencyMS: Double, at: Date, status: Int? = nil) {
        self.deploymentID = deploymentID
        self.requestID = requestID
        self.output = output
        self.latencyMS = latencyMS
        self.at = at
        self.status = status
    }

    /// Whether the call failed: no answer, or an HTTP error status.
    public var isFailure: Bool {
        guard let status else { return false }
        return status == 0 || status >= 400
    }
}

/// A regression value, a class label, or a label with class probabilities.
public enum PredictionOutput: Sendable, Equatable {
    case number(Double)
    case label(String, probabilities: [String: Double]?)
}

/// What really happened for a request, matched to predictions by request id.
public struct Outcome: Sendable, Equatable {
    public var region: String
    public var endpoint: String
    public var requestID: String
    public var actual: OutcomeValue
    public var at: Date

    /// An outcome.
    public init(region: String, endpoint: String, requestID: String, actual: OutcomeValue, at: Date) {
        self.region = region
        self.endpoint = endpoint
        self.requestID = requestID
        self.actual = actual
        self.at = at
    }
}

/// The true value: a number (regression) or a label (classification).
public enum OutcomeValue: Sendable, Equatable {
    case number(Double)
    case label(String)
}

/// What an ingest did: rows stored, and rows already stored before (a
/// re-sent batch), which are skipped.
public struct IngestResult: Sendable, Equatable, Encodable {
    public var accepted: Int
    public var duplicates: Int

    /// A result.
    public init(accepted: Int, duplicates: Int) {
        self.accepted = accepted
        self.duplicates = duplicates
    }
}

/// Rules every ingested item follows.
public enum IngestRules {
    /// Request ids: 1-256 visible ASCII characters.
    public static func isRequestID(_ text: String) -> Bool {
        (1...256).contains(text.utf8.count) && text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Labels: 1-256 characters without control characters.
    public static func isLabel(_ text: String) -> Bool {
        guard (1...256).contains(text.utf8.count) else { return false }
        // Printable ASCII (U+0020–U+007E) has no control (Cc); anything
        // else is looked up in Unicode's tables.
        if text.utf8.allSatisfy({ (0x20..<0x7F).contains($0) }) { return true }
        return !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    /// The largest magnitude of a numeric output or actual. The scoreboard
    /// squares errors, and the paired comparison squares squared errors
    /// again; PostgreSQL refuses a `float8` overflow with an error (not
    /// infinity), which would fail every later batch touching the request.
    /// 1e30 to the fourth power still fits a double (decision 92).
    public static let maxMagnitude: Double = 1e30

    /// Whether `value` can be stored and scored: finite, within ``maxMagnitude``.
    public static func isStorable(_ value: Double) -> Bool {
        value.isFinite && abs(value) <= maxMagnitude
    }

    /// How far in the future an `at` may be (clock skew).
    public static let maxFutureSkew: TimeInterval = 24 * 3600
    /// How old an `at` may be.
    public static let maxAge: TimeInterval = 3660 * 24 * 3600
    /// The most items in one batch.
    public static let maxBatch = 10_000
}
