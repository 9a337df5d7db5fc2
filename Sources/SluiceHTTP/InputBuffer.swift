/// Bytes received from a client and not yet consumed by the decoder.
public struct InputBuffer: Sendable {
    /// Storage; the readable bytes are `bytes[start...]`.
    public private(set) var bytes: [UInt8]
    /// Index of the first unconsumed byte.
    public private(set) var start: Int

    /// Creates a buffer holding `bytes`.
    public init(_ bytes: [UInt8] = []) {
        self.bytes = bytes
        self.start = 0
    }

    /// The number of unconsumed bytes.
    public var readableCount: Int { bytes.count - start }

    /// Whether everything received has been consumed.
    public var isEmpty: Bool { start == bytes.count }

    /// Appends received bytes.
    public mutating func append(_ data: UnsafeRawBufferPointer) {
        compactIfWorthwhile()
        bytes.append(contentsOf: data)
    }

    /// Appends received bytes.
    public mutating func append(contentsOf data: some Sequence<UInt8>) {
        compactIfWorthwhile()
        bytes.append(contentsOf: data)
    }

    /// Marks `count` bytes as consumed.
    /// Only the index moves: slices handed out stay valid, and storage is
    /// reclaimed on the next append.
    mutating func consume(_ count: Int) {
        start += count
    }

    /// Drops consumed bytes so the storage does not grow with a long pipeline.
    /// Storage over 64 KiB is released once empty, so an idle connection
    /// that once received a large body holds no large buffer.
    private mutating func compactIfWorthwhile() {
        guard start > 0 else { return }
        if start == bytes.count {
            bytes.removeAll(keepingCapacity: bytes.capacity <= 64 * 1024)
            start = 0
        } else if start >= bytes.count / 2 {
            bytes.removeSubrange(0..<start)
            start = 0
        }
    }

    /// Releases consumed storage now (for connections going idle).
    public mutating func reclaim() {
        compactIfWorthwhile()
    }
}
