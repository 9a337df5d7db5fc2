public import Foundation
import SluiceDomain

/// Deterministic per-deployment sampling: a request id is in the sample of
/// a deployment when the FNV-1a hash of both maps below `rate`. The same
/// request id gives the same answer in every gateway replica, so replicas
/// sample the same requests and paired comparisons keep their pairs.
public enum StealthSampler {
    /// Whether `requestID` is sampled for `deployment` at `rate` (0...1).
    public static func isSampled(requestID: String, deployment: UUID, rate: Double) -> Bool {
        if rate >= 1 { return true }
        if rate <= 0 { return false }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        for byte in requestID.utf8 { mix(byte) }
        mix(0)
        for byte in deployment.lowercasedString.utf8 { mix(byte) }
        // The top 53 bits as a fraction in [0, 1).
        let fraction = Double(hash >> 11) / Double(UInt64(1) << 53)
        return fraction < rate
    }
}
