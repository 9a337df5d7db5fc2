import SluiceSockets
import Testing

@Suite("SystemRandom")
struct SystemRandomTests {
    /// 128 bits per call, from the kernel: a thousand draws never repeat,
    /// and every bit position is seen both set and clear.
    @Test func draws_areDistinct_andUseEveryBit() {
        var seen = Set<String>()
        var ones: (UInt64, UInt64) = (0, 0)
        var zeros: (UInt64, UInt64) = (0, 0)
        for _ in 0..<1000 {
            let (high, low) = SystemRandom.next128()
            seen.insert("\(high)-\(low)")
            ones = (ones.0 | high, ones.1 | low)
            zeros = (zeros.0 | ~high, zeros.1 | ~low)
        }
        #expect(seen.count == 1000)
        #expect(ones == (.max, .max))
        #expect(zeros == (.max, .max))
    }
}
