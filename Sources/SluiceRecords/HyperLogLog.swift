import Foundation

/// A HyperLogLog distinct-count sketch (Flajolet, Fusy, Gandouet, Meunier
/// 2007) with 2¹⁴ one-byte registers (16 KiB) over 64-bit hashes, and
/// linear counting for small cardinalities (Heule, Nunkesser, Hall 2013,
/// §3). Its relative standard error is 1.04/√2¹⁴ ≈ 0.81 %
/// (``standardError``); below about 40,000 distinct values linear counting
/// is usually exact to a value or two.
public struct HyperLogLog: Sendable {
    /// Index bits: 14.
    public static let precision = 14
    /// 1.04 / √m: the estimate's relative standard error.
    public static let standardError = 1.04 / Double(1 << precision).squareRoot()

    private var registers: [UInt8]

    /// An empty sketch.
    public init() {
        registers = [UInt8](repeating: 0, count: 1 << Self.precision)
    }

    /// Adds a value by its 64-bit hash.
    @inline(__always)
    public mutating func insert(hash: UInt64) {
        let index = Int(hash >> UInt64(64 - Self.precision))
        // The rank of the first 1 bit in the remaining 50 bits, from 1.
        let rest = hash << UInt64(Self.precision)
        let rank = UInt8(min(rest.leadingZeroBitCount, 64 - Self.precision) + 1)
        registers.withUnsafeMutableBufferPointer { buffer in
            if buffer[index] < rank { buffer[index] = rank }
        }
    }

    /// The estimated number of distinct values inserted.
    public var estimate: Int {
        let m = Double(registers.count)
        var sum = 0.0
        var zeros = 0
        for register in registers {
            sum += 1.0 / Double(UInt64(1) << UInt64(register))
            if register == 0 { zeros += 1 }
        }
        let alpha = 0.7213 / (1 + 1.079 / m)
        let raw = alpha * m * m / sum
        if raw <= 2.5 * m, zeros > 0 {
            return Int((m * log(m / Double(zeros))).rounded())
        }
        return Int(raw.rounded())
    }
}
