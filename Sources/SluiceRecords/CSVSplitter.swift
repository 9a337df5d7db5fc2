/// Splits a CSV byte stream into records (RFC 4180 §2) as bytes arrive,
/// without copying them into strings: each record is handed over as its
/// exact bytes (terminator included), its fields' byte ranges and the line
/// it starts on.
///
/// - Records end at LF or CRLF outside quotes (§2.1; a bare LF is accepted,
///   as every CSV reader does); a CR before the LF is not part of the last
///   field.
/// - A field in double quotes may hold commas, CR, LF and `""` (one quote)
///   (§2.5–2.7); its range excludes the surrounding quotes.
/// - A quote inside an unquoted field, or anything but a comma or the end
///   of the record after a closing quote, makes the record malformed; it
///   still ends at the next terminator outside quotes.
/// - An empty line (no bytes before its terminator) is not a record.
///
/// Memory: the unfinished record's bytes only; a record longer than
/// `maxRecordBytes` throws ``RecordsError/Code/recordTooLarge``.
public struct CSVSplitter {
    /// One field of a record: byte offsets relative to the record's start.
    public struct Field: Sendable, Equatable {
        /// The first byte of the value (after an opening quote).
        public var start: Int
        /// One past the last byte of the value (before a closing quote).
        public var end: Int
        /// Whether the value contains `""` pairs that stand for one quote.
        public var escaped: Bool
    }

    private enum State: UInt8 { case fieldStart, unquoted, quoted, quoteInQuoted, afterQuoted }

    /// The longest record accepted, in bytes. Default 16 MiB.
    public let maxRecordBytes: Int
    private var buffer: [UInt8] = []
    private var scan = 0
    private var recordStart = 0
    private var state = State.fieldStart
    private var fieldStart = 0
    private var closeQuote = 0
    private var escaped = false
    private var malformed = false
    private var fields: [Field] = []
    private var line = 1
    private var recordLine = 1

    /// A splitter.
    public init(maxRecordBytes: Int = 16 << 20) {
        self.maxRecordBytes = maxRecordBytes
    }

    /// Splits the bytes of `chunk` (following those fed before), calling
    /// `body` for each record completed; the record is valid only during the call.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (RecordView) throws -> Void) throws {
        buffer.append(contentsOf: chunk)
        try split(body)
        if recordStart > 0 {
            buffer.removeSubrange(0..<recordStart)
            scan -= recordStart
            fieldStart -= recordStart
            closeQuote -= recordStart
            recordStart = 0
        }
        if buffer.count > maxRecordBytes {
            throw RecordsError(.recordTooLarge, "the record at line \(recordLine) is longer than \(maxRecordBytes) bytes")
        }
    }

    /// Ends the stream: a last record without a terminator is handed to
    /// `body`; one inside an unclosed quote is malformed.
    public mutating func finish(_ body: (RecordView) throws -> Void) throws {
        guard scan > recordStart else { return }
        let cr = UInt8(ascii: "\r")
        var contentEnd = scan
        if buffer[scan - 1] == cr, state != .quoted { contentEnd -= 1 }
        switch state {
        case .fieldStart, .unquoted:
            fields.append(Field(start: fieldStart - recordStart, end: max(contentEnd, fieldStart) - recordStart, escaped: false))
        case .quoted:
            malformed = true
            fields.append(Field(start: fieldStart - recordStart, end: scan - recordStart, escaped: escaped))
        case .quoteInQuoted, .afterQuoted:
            fields.append(Field(start: fieldStart - recordStart, end: closeQuote - recordStart, escaped: escaped))
        }
        if contentEnd > recordStart { try emit(end: scan, contentEnd: contentEnd, body) }
        buffer.removeAll()
        scan = 0
        recordStart = 0
        resetRecord(at: 0)
    }

    private mutating func split(_ body: (RecordView) throws -> Void) throws {
        let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
        let count = buffer.count
        while scan < count {
            let byte = buffer[scan]
            switch state {
            case .fieldStart, .unquoted:
                if byte == comma {
                    fields.append(Field(start: fieldStart - recordStart, end: scan - recordStart, escaped: false))
                    fieldStart = scan + 1
                    state = .fieldStart
                } else if byte == lf {
                    var end = scan
                    if end > fieldStart, buffer[end - 1] == cr { end -= 1 }
                    fields.append(Field(start: fieldStart - recordStart, end: end - recordStart, escaped: false))
                    try endRecord(at: scan, contentEnd: end, body)
                } else if byte == quote {
                    if state == .fieldStart {
                        state = .quoted
                        fieldStart = scan + 1
                        escaped = false
                    } else {
                        malformed = true
                    }
                } else {
                    state = .unquoted
                }
            case .quoted:
                // Fast path: skip to the next quote.
                if byte == quote {
                    state = .quoteInQuoted
                    closeQuote = scan
                } else if byte == lf {
                    line += 1
                }
            case .quoteInQuoted:
                if byte == quote {
                    escaped = true
                    state = .quoted
                } else if byte == comma {
                    fields.append(Field(start: fieldStart - recordStart, end: closeQuote - recordStart, escaped: escaped))
                    fieldStart = scan + 1
                    state = .fieldStart
                } else if byte == lf {
                    fields.append(Field(start: fieldStart - recordStart, end: closeQuote - recordStart, escaped: escaped))
                    try endRecord(at: scan, contentEnd: scan, body)
                } else {
                    if byte != cr { malformed = true }
                    state = .afterQuoted
                }
            case .afterQuoted:
                if byte == comma {
                    fields.append(Field(start: fieldStart - recordStart, end: closeQuote - recordStart, escaped: escaped))
                    fieldStart = scan + 1
                    state = .fieldStart
                } else if byte == lf {
                    let crlf = buffer[scan - 1] == cr
                    if !crlf || scan - 1 != closeQuote + 1 { malformed = true }
                    fields.append(Field(start: fieldStart - recordStart, end: closeQuote - recordStart, escaped: escaped))
                    try endRecord(at: scan, contentEnd: crlf ? scan - 1 : scan, body)
                } else {
                    malformed = true
                }
            }
            scan += 1
        }
    }

    /// The LF at `lf` ends a record whose content (terminator excluded) ends at `contentEnd`.
    private mutating func endRecord(at lf: Int, contentEnd: Int, _ body: (RecordView) throws -> Void) throws {
        line += 1
        let end = lf + 1
        if contentEnd > recordStart {  // an empty line is not a record
            try emit(end: end, contentEnd: contentEnd, body)
        }
        resetRecord(at: end)
    }

    private mutating func emit(end: Int, contentEnd: Int, _ body: (RecordView) throws -> Void) throws {
        let start = recordStart
        let line = recordLine
        let malformed = malformed
        try buffer.withUnsafeBytes { all in
            try fields.withUnsafeBufferPointer { fields in
                try body(RecordView(
                    bytes: UnsafeRawBufferPointer(rebasing: all[start..<end]), contentCount: contentEnd - start, line: line,
                    fields: fields, malformed: malformed))
            }
        }
    }

    private mutating func resetRecord(at next: Int) {
        recordStart = next
        fieldStart = next
        state = .fieldStart
        escaped = false
        malformed = false
        fields.removeAll(keepingCapacity: true)
        recordLine = line
    }
}
