import Synchronization

/// Derived SigV4 signing keys, kept per (day, region, service, secret) so that
/// most requests cost one HMAC instead of five.
///
/// Keys are derived outside the lock; two threads that miss together both
/// derive the same value, which is harmless. The cache holds at most
/// `capacity` keys and is simply emptied when full (a key is valid for one
/// day, so entries for older days are dead anyway).
package final class SigningKeyCache: Sendable {
    /// The process-wide cache used by every ``SigV4Signer`` unless a test injects its own.
    package static let shared = SigningKeyCache(capacity: 64)

    /// What a signing key is derived from.
    package struct Key: Hashable, Sendable {
        package var day: String
        package var region: String
        package var service: String
        package var secret: String
    }

    private let entries = Mutex<[Key: [UInt8]]>([:])
    private let capacity: Int

    /// Creates an empty cache that holds at most `capacity` keys.
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// How many keys the cache holds now.
    package var count: Int { entries.withLock { $0.count } }

    /// The cached key for `key`, or the result of `derive`, which is then cached.
    package func signingKey(
        for key: Key,
        derive: () throws(CryptoError) -> [UInt8]
    ) throws(CryptoError) -> [UInt8] {
        if let cached = entries.withLock({ $0[key] }) {
            return cached
        }
        let derived = try derive()
        entries.withLock { entries in
            if entries.count >= capacity {
                entries.removeAll(keepingCapacity: true)
            }
            entries[key] = derived
        }
        return derived
    }
}
