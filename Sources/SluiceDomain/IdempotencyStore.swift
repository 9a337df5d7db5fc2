/// Remembers the first response to a `POST` with an `Idempotency-Key`
/// (DESIGN.md §3), per caller, for a day.
public protocol IdempotencyStore: Sendable {
    /// Claims `key` for this request, or says what happened to it before.
    func begin(actor: String, key: String, method: String, path: String, body: [UInt8]) async throws -> IdempotencyClaim
    /// Stores the response of a claimed key, unless one is stored already
    /// (a request that outlived its claim cannot overwrite a retry's answer,
    /// nor the other way round: the first one stored stays).
    func complete(actor: String, key: String, response: StoredResponse) async throws
    /// Releases a claimed key whose request failed, so a retry runs again.
    func release(actor: String, key: String) async throws
}

/// The state of an idempotency key.
public enum IdempotencyClaim: Sendable, Equatable {
    /// The key is new: run the request.
    case claimed
    /// The same request ran before: answer with its response.
    case replay(StoredResponse)
    /// The key was used for another request (path or body).
    case mismatch
    /// The first request with the key is still running.
    case inProgress
}

/// A response kept for replay.
public struct StoredResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String?
    public var location: String?
    public var etag: String?
    public var body: [UInt8]

    /// A response.
    public init(status: Int, contentType: String?, location: String?, etag: String? = nil, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.location = location
        self.etag = etag
        self.body = body
    }
}
