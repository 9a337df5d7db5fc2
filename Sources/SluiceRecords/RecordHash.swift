/// A 128-bit hash of a byte string: MurmurHash3 x64_128 (Austin Appleby,
/// public domain, `MurmurHash3.cpp` of SMHasher), seed 0. Not
/// cryptographic; it identifies duplicate records (two different records
/// collide with probability about n²/2¹²⁹) and feeds ``HyperLogLog``.
public struct RecordHash: Hashable, Sendable {
    /// The first 64 bits (`h1` of the reference code).
    public var low: UInt64
    /// The second 64 bits (`h2`).
    public var high: UInt64

    /// A hash from its halves.
    public init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// Hashes `bytes`.
    public init(_ bytes: UnsafeRawBufferPointer) {
        let c1: UInt64 = 0x87c3_7b91_1142_53d5
        let c2: UInt64 = 0x4cf5_ad43_2745_937f
        var h1: UInt64 = 0
        var h2: UInt64 = 0
        let count = bytes.count
        let blocks = count / 16
        var offset = 0
        for _ in 0..<blocks {
            var k1 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
            var k2 = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + 8, as: UInt64.self))
            offset += 16
            k1 &*= c1; k1 = Self.rotl(k1, 31); k1 &*= c2; h1 ^= k1
            h1 = Self.rotl(h1, 27); h1 &+= h2; h1 = h1 &* 5 &+ 0x52dc_e729
            k2 &*= c2; k2 = Self.rotl(k2, 33); k2 &*= c1; h2 ^= k2
            h2 = Self.rotl(h2, 31); h2 &+= h1; h2 = h2 &* 5 &+ 0x3849_5ab5
        }
        // The tail: up to 15 bytes, little-endian into k1 (bytes 0-7) and k2 (8-14).
        let tail = count - offset
        if tail > 0 {
            var k1: UInt64 = 0
            var k2: UInt64 = 0
            for index in stride(from: tail - 1, through: 0, by: -1) {
                let byte = UInt64(bytes[offset + index])
                if index >= 8 { k2 ^= byte << UInt64((index - 8) * 8) } else { k1 ^= byte << UInt64(index * 8) }
            }
            if tail > 8 { k2 &*= c2; k2 = Self.rotl(k2, 33); k2 &*= c1; h2 ^= k2 }
            k1 &*= c1; k1 = Self.rotl(k1, 31); k1 &*= c2; h1 ^= k1
        }
        h1 ^= UInt64(count)
        h2 ^= UInt64(count)
        h1 &+= h2
        h2 &+= h1
        h1 = Self.fmix(h1)
        h2 = Self.fmix(h2)
        h1 &+= h2
        h2 &+= h1
        low = h1
        high = h2
    }

    /// Hashes the bytes of `array`.
    public init(_ array: [UInt8]) {
        self = array.withUnsafeBytes { RecordHash($0) }
    }

    @inline(__always) static func rotl(_ value: UInt64, _ by: UInt64) -> UInt64 {
        (value << by) | (value >> (64 - by))
    }

    @inline(__always) static func fmix(_ value: UInt64) -> UInt64 {
        var k = value
        k ^= k >> 33
        k &*= 0xff51_afd7_ed55_8ccd
        k ^= k >> 33
        k &*= 0xc4ce_b9fe_1a85_ec53
        k ^= k >> 33
        return k
    }
}
