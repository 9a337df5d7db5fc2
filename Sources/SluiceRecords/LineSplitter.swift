import Foundation

/// Splits a byte stream into lines at LF (a CR before the LF is part of the
/// terminator), as bytes arrive: the record splitter of JSON Lines, whose
/// values cannot hold a raw newline. Empty lines are not records. Memory:
/// the unfinished line only, at most `maxRecordBytes`.
public struct LineSplitter {
    /// The longest line accepted, in bytes. Default 16 MiB.
    public let maxRecordBytes: Int
    private var buffer: [UInt8] = []
    private var scan = 0
    private var line = 1
    private static let noFields: [CSVSplitter.Field] = []

    /// A splitter.
    public init(maxRecordBytes: Int = 16 << 20) {
        self.maxRecordBytes = maxRecordBytes
    }

    /// Splits `chunk` (following the bytes fed before), calling `body` per line completed.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (RecordView) throws -> Void) throws {
        buffer.append(contentsOf: chunk)
        var start = 0
        var scan = self.scan
        var line = self.line
        let lf = UInt8(ascii: "\n")
        defer { self.line = line }
        try buffer.withUnsafeBytes { all in
            guard let base = all.baseAddress else { return }
            while scan < all.count, let hit = memchr(base + scan, Int32(lf), all.count - scan) {
                let found = base.distance(to: UnsafeRawPointer(hit))
                let end = found + 1
                let content = found > start && all[found - 1] == UInt8(ascii: "\r") ? found - 1 : found
                if content > start { try Self.emit(all, start, end, content, line, body) }
                line += 1
                start = end
                scan = end
            }
        }
        self.scan = buffer.count
        if start > 0 {
            buffer.removeSubrange(0..<start)
            self.scan -= start
        }
        if buffer.count > maxRecordBytes {
            throw RecordsError(.recordTooLarge, "the line \(line) is longer than \(maxRecordBytes) bytes")
        }
    }

    /// Ends the stream: a last line without a terminator is handed to `body`.
    public mutating func finish(_ body: (RecordView) throws -> Void) throws {
        let count = buffer.count
        let line = line
        try buffer.withUnsafeBytes { all in
            let content = count > 0 && all[count - 1] == UInt8(ascii: "\r") ? count - 1 : count
            if content > 0 { try Self.emit(all, 0, count, content, line, body) }
        }
        buffer.removeAll()
        scan = 0
    }

    private static func emit(
        _ all: UnsafeRawBufferPointer, _ start: Int, _ end: Int, _ content: Int, _ line: Int, _ body: (RecordView) throws -> Void
    ) throws {
        try noFields.withUnsafeBufferPointer { fields in
            try body(RecordView(
                bytes: UnsafeRawBufferPointer(rebasing: all[start..<end]), contentCount: content - start, line: line,
                fields: fields, malformed: false))
        }
    }
}
