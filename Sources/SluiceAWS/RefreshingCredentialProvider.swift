public import Foundation

/// Caches another provider's credential and fetches a new one shortly before
/// it expires. However many requests ask at once, one fetch runs (single
/// flight): the others await its result. Long-term keys (no expiry) are
/// fetched once. When a refresh fails while the old credential has not yet
/// expired, the old one is used and the next call tries again.
public actor RefreshingCredentialProvider: CredentialProvider {
    /// The provider that fetches.
    public let source: any CredentialProvider
    /// How long before expiry a credential is refreshed. Default 5 minutes.
    public let refreshWindow: Duration
    private let now: @Sendable () -> Date
    private var current: AWSCredential?
    private var inFlight: Task<AWSCredential, any Error>?
    /// How many fetches from `source` have started (for tests and metrics).
    public private(set) var fetches = 0

    /// Creates a caching provider; `now` is the clock (tests pass their own).
    public init(
        _ source: any CredentialProvider, refreshWindow: Duration = .seconds(300),
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.source = source
        self.refreshWindow = refreshWindow
        self.now = now
    }

    /// The cached credential, or a fresh one when it is due.
    ///
    /// - Throws: the source's error when there is no usable credential;
    ///   ``CredentialError`` `.expired` is never thrown for a still-valid one.
    public func credential() async throws -> AWSCredential {
        if let current, !isDue(current) { return current }
        let task: Task<AWSCredential, any Error>
        if let inFlight {
            task = inFlight
        } else {
            fetches += 1
            let source = source
            task = Task { try await source.credential() }
            inFlight = task
        }
        do {
            let fresh = try await task.value
            if inFlight == task {
                current = fresh
                inFlight = nil
            }
            return fresh
        } catch {
            if inFlight == task { inFlight = nil }
            if let current, let expiry = current.expiration, expiry > now() { return current }
            throw error
        }
    }

    private func isDue(_ credential: AWSCredential) -> Bool {
        guard let expiry = credential.expiration else { return false }
        let window = Double(refreshWindow.components.seconds)
        return now().addingTimeInterval(window) >= expiry
    }
}
