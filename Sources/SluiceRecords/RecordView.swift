/// One record as a splitter hands it over: views into the splitter's
/// buffer, valid only during the callback.
public struct RecordView {
    /// The record's exact bytes, terminator included: what is copied.
    public let bytes: UnsafeRawBufferPointer
    /// How many of `bytes` come before the terminator (CRLF or LF).
    public let contentCount: Int
    /// The line the record starts on, from 1.
    public let line: Int
    /// The fields (CSV), as offsets into `bytes`.
    public let fields: UnsafeBufferPointer<CSVSplitter.Field>
    /// Whether the record breaks the format's syntax.
    public let malformed: Bool

    /// The record without its terminator (what duplicates are judged on).
    public var content: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[0..<contentCount]) }

    /// Calls `body` with the value of field `index`, `""` pairs unescaped
    /// (into a temporary copy only when the field has any).
    public func withField<R>(_ index: Int, _ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let field = fields[index]
        let raw = UnsafeRawBufferPointer(rebasing: bytes[field.start..<field.end])
        guard field.escaped else { return try body(raw) }
        var unescaped: [UInt8] = []
        unescaped.reserveCapacity(raw.count)
        var skipNext = false
        for byte in raw {
            if skipNext {
                skipNext = false
                continue
            }
            unescaped.append(byte)
            if byte == UInt8(ascii: "\"") { skipNext = true }
        }
        return try unescaped.withUnsafeBytes { try body($0) }
    }
}
