/// One transfer handed to a ``CurlLoopMulti``: the request, the state its
/// callbacks fill, and the continuation (or completion) its result goes to.
final class CurlLoopTransfer: @unchecked Sendable {
    let request: HTTPClientRequest
    let timeout: Duration
    let state: CurlTransfer
    /// Set by the caller before submission, resumed once on the loop thread.
    var continuation: CheckedContinuation<HTTPClientResponse, any Error>?
    /// Instead of a continuation: called once on the loop thread.
    var completion: (@Sendable (Result<HTTPClientResponse, HTTPClientError>) -> Void)?
    /// Loop thread only: the easy handle while the transfer is in the multi handle.
    var handle: CurlEasyHandle?

    init(request: HTTPClientRequest, timeout: Duration) {
        self.request = request
        self.timeout = timeout
        state = CurlTransfer(body: request.body, sink: .buffer)
    }
}
