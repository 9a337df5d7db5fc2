import CSluiceSystem

/// Random bits from the kernel's generator (`getrandom(2)`), any number in
/// one system call; the standard library's generator makes one per word.
public enum SystemRandom {
    /// 128 random bits.
    public static func next128() -> (UInt64, UInt64) {
        var words: (UInt64, UInt64) = (0, 0)
        let filled = withUnsafeMutableBytes(of: &words) { sluice_getrandom($0.baseAddress, $0.count) }
        if filled == MemoryLayout<(UInt64, UInt64)>.size { return words }
        // Interrupted or short (not expected for 16 bytes): the standard library's generator.
        var generator = SystemRandomNumberGenerator()
        return (generator.next(), generator.next())
    }
}
