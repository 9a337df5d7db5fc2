import Synchronization

/// The retry token bucket of the AWS SDKs' standard mode, shared by every
/// request of one client: a retry takes tokens, a success puts some back, and
/// when the bucket runs dry requests stop retrying until successes refill it.
public final class RetryQuota: Sendable {
    /// The tokens the bucket holds when full. Default 500.
    public let capacity: Int
    /// Tokens a retry after a throttling or transient failure costs. Default 5.
    public let retryCost: Int
    /// Tokens a retry after a timeout costs. Default 10.
    public let timeoutCost: Int
    /// Tokens a success on the first attempt puts back. Default 1.
    public let successIncrement: Int

    private let tokens: Mutex<Int>

    /// Creates a full bucket.
    public init(capacity: Int = 500, retryCost: Int = 5, timeoutCost: Int = 10, successIncrement: Int = 1) {
        self.capacity = capacity
        self.retryCost = retryCost
        self.timeoutCost = timeoutCost
        self.successIncrement = successIncrement
        tokens = Mutex(capacity)
    }

    /// The tokens left.
    public var available: Int { tokens.withLock { $0 } }

    /// Takes the cost of one retry of `kind`; returns the tokens taken, or
    /// `nil` (taking none) when the bucket cannot pay.
    public func acquire(for kind: RetryPolicy.RetryKind) -> Int? {
        let cost = kind == .timeout ? timeoutCost : retryCost
        return tokens.withLock { tokens in
            guard tokens >= cost else { return nil }
            tokens -= cost
            return cost
        }
    }

    /// Records a success: returns what its retries took (`retried`), or
    /// `successIncrement` when it needed none; never past `capacity`.
    public func recordSuccess(retried: Int) {
        let refund = retried > 0 ? retried : successIncrement
        tokens.withLock { $0 = min(capacity, $0 + refund) }
    }
}
