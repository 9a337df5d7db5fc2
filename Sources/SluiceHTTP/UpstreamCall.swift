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
    let completion: @Sendable (Result<UpstreamResponse, UpstreamError>) -> Void
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
        self.completion = completion
    }
}
