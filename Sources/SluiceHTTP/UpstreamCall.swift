/// One call on its way: the request's bytes, its deadline and whom to tell.
/// Handed to a loop once, then touched only on that loop's thread.
final class UpstreamCall: @unchecked Sendable {
    let target: UpstreamTarget
    let head: [UInt8]
    let body: [UInt8]
    let maxBody: Int
    let noBody: Bool
    /// Monotonic nanoseconds after which the call fails as `.timeout`.
    let deadline: UInt64
    private let onComplete: @Sendable (Result<UpstreamResponse, UpstreamError>) -> Void
    /// Whether the call was sent again on a fresh connection after a reused
    /// one turned out to be closed; it is not sent a third time.
    var resent = false

    init(
        target: UpstreamTarget, head: [UInt8], body: [UInt8], maxBody: Int, noBody: Bool, deadline: UInt64,
        completion: @escaping @Sendable (Result<UpstreamResponse, UpstreamError>) -> Void
    ) {
        self.target = target
        self.head = head
        self.body = body
        self.maxBody = maxBody
        self.noBody = noBody
        self.deadline = deadline
        self.onComplete = completion
    }

    /// Tells the caller how the call ended. A connect failure of a resend
    /// is reported as `.receiveFailed`: the first send reached a server,
    /// which may have acted on it, so callers that retry only calls that
    /// never reached one (a failed connect) must not send it elsewhere.
    func completion(_ result: Result<UpstreamResponse, UpstreamError>) {
        if resent, case .failure(let error) = result, error.code == .connectFailed {
            return onComplete(.failure(UpstreamError(
                .receiveFailed, "the connection broke after the request was sent, and sending it again failed: \(error.message)")))
        }
        onComplete(result)
    }
}
