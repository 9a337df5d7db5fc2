/// When and how long to wait before retrying, after the AWS SDKs' "standard"
/// retry mode (AWS SDKs and Tools Reference Guide, "Retry behavior"): a
/// bounded number of attempts, exponential backoff with full jitter, and a
/// shared `RetryQuota` so that an outage does not multiply the load.
/// A pure value: the jitter source is a parameter so tests are exact.
public struct RetryPolicy: Sendable {
    /// Attempts in all, the first included. Default 3.
    public var maxAttempts: Int
    /// The backoff before the first retry, before jitter. Default 100 ms.
    public var baseDelay: Duration
    /// The longest backoff, and the longest `Retry-After` obeyed. Default 20 s.
    public var maxBackoff: Duration
    /// Statuses retried as throttling. Default 429.
    public var throttlingStatuses: Set<Int>
    /// Statuses retried as transient server faults. Default 500, 502, 503, 504.
    public var transientStatuses: Set<Int>
    /// AWS error codes (`<Code>` in an XML error body, `__type` or `code` in
    /// JSON) retried as throttling whatever the status. Default: the SDKs' list.
    public var throttlingErrorCodes: Set<String>
    /// AWS error codes retried as transient faults whatever the status (S3's
    /// 400 `RequestTimeout`). Default: the SDKs' list.
    public var transientErrorCodes: Set<String>
    /// Returns a number in `0..<1`; the backoff is this fraction of the
    /// exponential ceiling ("full jitter"). Default `Double.random(in: 0..<1)`.
    public var jitter: @Sendable () -> Double

    /// Creates a policy; every parameter has the AWS standard-mode default.
    public init(
        maxAttempts: Int = 3,
        baseDelay: Duration = .milliseconds(100),
        maxBackoff: Duration = .seconds(20),
        throttlingStatuses: Set<Int> = [429],
        transientStatuses: Set<Int> = [500, 502, 503, 504],
        throttlingErrorCodes: Set<String> = RetryPolicy.awsThrottlingErrorCodes,
        transientErrorCodes: Set<String> = RetryPolicy.awsTransientErrorCodes,
        jitter: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) }
    ) {
        self.maxAttempts = maxAttempts
        self.baseDelay = baseDelay
        self.maxBackoff = maxBackoff
        self.throttlingStatuses = throttlingStatuses
        self.transientStatuses = transientStatuses
        self.throttlingErrorCodes = throttlingErrorCodes
        self.transientErrorCodes = transientErrorCodes
        self.jitter = jitter
    }

    /// The throttling error codes of the AWS SDKs' standard mode.
    public static let awsThrottlingErrorCodes: Set<String> = [
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
    ]

    /// The transient error codes of the AWS SDKs' standard mode (botocore's
    /// `_TRANSIENT_ERROR_CODES`).
    public static let awsTransientErrorCodes: Set<String> = [
        "RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete",
    ]

    /// Why an outcome may be retried; the kind sets the quota cost.
    public enum RetryKind: Sendable, Equatable {
        /// The server asked us to slow down.
        case throttling
        /// A 5xx fault, a refused or reset connection.
        case transient
        /// The request timed out; costs more quota, as a timeout suggests overload.
        case timeout
    }

    /// The retry kind of a response, or `nil` when it is final (2xx, 3xx, other 4xx).
    public func retryKind(for response: HTTPClientResponse) -> RetryKind? {
        if throttlingStatuses.contains(response.status) { return .throttling }
        if response.status >= 400, let code = Self.awsErrorCode(in: response.body) {
            if throttlingErrorCodes.contains(code) { return .throttling }
            if transientErrorCodes.contains(code) { return .transient }
        }
        if transientStatuses.contains(response.status) { return .transient }
        return nil
    }

    /// The retry kind of a thrown error, or `nil` when it is final.
    public func retryKind(for error: any Error) -> RetryKind? {
        guard let error = error as? HTTPClientError else { return nil }
        switch error.code {
        case .timeout: return .timeout
        case .connectFailed, .sendFailed, .receiveFailed: return .transient
        default: return nil
        }
    }

    /// The wait before retry number `retry` (1 for the first retry):
    /// `jitter() * min(baseDelay * 2^(retry-1), maxBackoff)`, or the
    /// `Retry-After` seconds when the server sent them, capped at `maxBackoff`.
    public func delay(beforeRetry retry: Int, retryAfter: Duration? = nil) -> Duration {
        if let retryAfter { return min(max(retryAfter, .zero), maxBackoff) }
        let exponent = min(max(retry - 1, 0), 62)
        let ceilingSeconds = min(
            Self.seconds(baseDelay) * Double(UInt64(1) << UInt64(exponent)), Self.seconds(maxBackoff))
        let fraction = min(max(jitter(), 0), 1)
        return .nanoseconds(Int64(ceilingSeconds * fraction * 1e9))
    }

    /// The `Retry-After` delay of a response (RFC 9110 §10.2.3), in its
    /// delay-seconds form only; an HTTP-date is ignored.
    public static func retryAfter(of response: HTTPClientResponse) -> Duration? {
        guard let value = response.header("Retry-After")?.trimmingCharacters(in: " \t"),
            let seconds = Int(value), seconds >= 0
        else { return nil }
        return .seconds(seconds)
    }

    /// The AWS error code in an XML (`<Code>X</Code>`) or JSON
    /// (`"__type":"ns#X"` / `"code":"X"`) error body, or `nil`.
    static func awsErrorCode(in body: [UInt8]) -> String? {
        guard !body.isEmpty, body.count <= 64 * 1024 else { return nil }
        if let start = index(after: Array("<Code>".utf8), in: body) {
            let value = body[start...].prefix { $0 != UInt8(ascii: "<") }
            return String(decoding: value, as: UTF8.self)
        }
        for key in ["\"__type\"", "\"code\"", "\"Code\""] {
            guard let start = index(after: Array(key.utf8), in: body) else { continue }
            let rest = body[start...].drop { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: ":") }
            guard rest.first == UInt8(ascii: "\"") else { continue }
            let value = rest.dropFirst().prefix { $0 != UInt8(ascii: "\"") }
            let name = value.split(separator: UInt8(ascii: "#")).last ?? value
            return String(decoding: name, as: UTF8.self)
        }
        return nil
    }

    /// The index just past the first occurrence of `needle` in `haystack`.
    private static func index(after needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if haystack[start..<start + needle.count].elementsEqual(needle) { return start + needle.count }
        }
        return nil
    }

    static func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
