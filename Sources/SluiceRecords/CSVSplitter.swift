/// Splits a CSV byte stream into records (RFC 4180 §2) as bytes arrive,
/// without copying them into strings: each record is handed over as its
/// exact bytes (terminator included), its fields' byte ranges and the line
/// it starts on.
///
/// - Records end at CRLF, LF or CR outside quotes (§2.1; a bare LF or CR is
///   accepted, and read as the end of the record as Python's `csv` and
///   pandas read it, so a file saved with classic Mac line ends is split
///   into its records and not read as one; decision 79); a CR before the LF
///   is not part of the last field.
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

    /// The longest record accepted, in bytes. Default 16 MiB.
    public let maxRecordBytes: Int
    private var buffer: [UInt8] = []
    private var cursor = Cursor()

    /// A splitter.
    public init(maxRecordBytes: Int = 16 << 20) {
        self.maxRecordBytes = maxRecordBytes
    }

    /// Splits the bytes of `chunk` (following those fed before), calling
    /// `body` for each record completed; the record is valid only during the call.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ body: (RecordView) throws -> Void) throws {
        buffer.append(contentsOf: chunk)
        // The scan works on a local cursor over the buffer's bytes, so the
        // loop touches no stored property (no exclusivity checks per byte).
        var cursor = self.cursor
        self.cursor.fields = []
        defer { self.cursor = cursor }
        try buffer.withUnsafeBytes { try cursor.split($0, body) }
        if cursor.recordStart > 0 {
            buffer.removeSubrange(0..<cursor.recordStart)
            cursor.rebase()
        }
        if buffer.count > maxRecordBytes {
            throw RecordsError(.recordTooLarge, "the record at line \(cursor.recordLine) is longer than \(maxRecordBytes) bytes")
        }
    }

    /// Ends the stream: a last record without a terminator is handed to
    /// `body`; one inside an unclosed quote is malformed.
    public mutating func finish(_ body: (RecordView) throws -> Void) throws {
        var cursor = self.cursor
        self.cursor = Cursor()
        try buffer.withUnsafeBytes { try cursor.finish($0, body) }
        buffer.removeAll()
    }

    /// Where the scan is: the unfinished record's state, offsets into the buffer.
    struct Cursor {
        enum State: UInt8 { case fieldStart, unquoted, quoted, quoteInQuoted, afterQuoted }

        var scan = 0
        var recordStart = 0
        var state = State.fieldStart
        var fieldStart = 0
        var closeQuote = 0
        var escaped = false
        var malformed = false
        var fields: [Field] = []
        var line = 1
        var recordLine = 1

        /// Offsets after the buffer dropped the bytes before `recordStart`.
        mutating func rebase() {
            scan -= recordStart
            fieldStart -= recordStart
            closeQuote -= recordStart
            recordStart = 0
        }

        mutating func split(_ bytes: UnsafeRawBufferPointer, _ body: (RecordView) throws -> Void) throws {
            let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\""), lf = UInt8(ascii: "\n"), cr = UInt8(ascii: "\r")
            let count = bytes.count
            while scan < count {
                let byte = bytes[scan]
                switch state {
                case .fieldStart, .unquoted:
                    if byte == comma {
                        fields.append(Field(start: fieldStart - recordStart, end: scan - recordStart, escaped: false))
                        fieldStart = scan + 1
                        state = .fieldStart
                    } else if byte == lf {
                        var end = scan
                        if end > fieldStart, bytes[end - 1] == cr { end -= 1 }
                        fields.append(Field(start: fieldStart - recordStart, end: end - recordStart, escaped: false))
                        try endRecord(bytes, lf: scan, contentEnd: end, body)
                    } else if byte == cr {
                        switch try bareCR(bytes, fieldEnd: scan, escaped: false, body) {
                        case .wait: return
                        case .ended: break
                        case .beforeLF: state = .unquoted
                        }
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
                        // Skip the rest of a plain field at once.
                        var next = scan + 1
                        while next < count {
                            let ahead = bytes[next]
                            if ahead == comma || ahead == lf || ahead == quote || ahead == cr { break }
                            next += 1
                        }
                        scan = next - 1
                    }
                case .quoted:
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
                        try endRecord(bytes, lf: scan, contentEnd: scan, body)
                    } else if byte == cr {
                        switch try bareCR(bytes, fieldEnd: closeQuote, escaped: escaped, body) {
                        case .wait: return
                        case .ended: break
                        case .beforeLF: state = .afterQuoted
                        }
                    } else {
                        malformed = true
                        state = .afterQuoted
                    }
                case .afterQuoted:
                    if byte == comma {
                        fields.append(Field(start: fieldStart - recordStart, end: closeQuote - recordStart, escaped: escaped))
                        fieldStart = scan + 1
                        state = .fieldStart
                    } else if byte == lf {
                        let crlf = bytes[scan - 1] == cr
                        if !crlf || scan - 1 != closeQuote + 1 { malformed = true }
                        fields.append(Field(start: fieldStart - recordStart, end: closeQuote - recordStart, escaped: escaped))
                        try endRecord(bytes, lf: scan, contentEnd: crlf ? scan - 1 : scan, body)
                    } else if byte == cr {
                        if try bareCR(bytes, fieldEnd: closeQuote, escaped: escaped, body) == .wait { return }
                    } else {
                        malformed = true
                    }
                }
                scan += 1
            }
        }

        mutating func finish(_ bytes: UnsafeRawBufferPointer, _ body: (RecordView) throws -> Void) throws {
            // The scan may have stopped at a last CR, waiting for the byte after it.
            scan = bytes.count
            guard scan > recordStart else { return }
            var contentEnd = scan
            if bytes[scan - 1] == UInt8(ascii: "\r"), state != .quoted { contentEnd -= 1 }
            switch state {
            case .fieldStart, .unquoted:
                fields.append(Field(start: fieldStart - recordStart, end: max(contentEnd, fieldStart) - recordStart, escaped: false))
            case .quoted:
                malformed = true
                fields.append(Field(start: fieldStart - recordStart, end: scan - recordStart, escaped: escaped))
            case .quoteInQuoted, .afterQuoted:
                fields.append(Field(start: fieldStart - recordStart, end: closeQuote - recordStart, escaped: escaped))
            }
            if contentEnd > recordStart { try emit(bytes, end: scan, contentEnd: contentEnd, body) }
        }

        /// What a CR outside quotes turned out to be.
        enum CR { case wait, ended, beforeLF }

        /// The CR at `scan` outside quotes: it ends the record, its last field
        /// ending at `fieldEnd`, unless an LF follows (then the LF will);
        /// `.wait` when the byte after it has not arrived yet.
        private mutating func bareCR(
            _ bytes: UnsafeRawBufferPointer, fieldEnd: Int, escaped: Bool, _ body: (RecordView) throws -> Void
        ) throws -> CR {
            guard scan + 1 < bytes.count else { return .wait }
            guard bytes[scan + 1] != UInt8(ascii: "\n") else { return .beforeLF }
            fields.append(Field(start: fieldStart - recordStart, end: fieldEnd - recordStart, escaped: escaped))
            try endRecord(bytes, lf: scan, contentEnd: scan, body)
            return .ended
        }

        /// The LF at `lf` ends a record whose content (terminator excluded) ends at `contentEnd`.
        private mutating func endRecord(
            _ bytes: UnsafeRawBufferPointer, lf: Int, contentEnd: Int, _ body: (RecordView) throws -> Void
        ) throws {
            line += 1
            let end = lf + 1
            if contentEnd > recordStart {  // an empty line is not a record
                try emit(bytes, end: end, contentEnd: contentEnd, body)
            }
            recordStart = end
            fieldStart = end
            state = .fieldStart
            escaped = false
            malformed = false
            fields.removeAll(keepingCapacity: true)
            recordLine = line
        }

        private func emit(_ bytes: UnsafeRawBufferPointer, end: Int, contentEnd: Int, _ body: (RecordView) throws -> Void) throws {
            try fields.withUnsafeBufferPointer { fields in
                try body(RecordView(
                    bytes: UnsafeRawBufferPointer(rebasing: bytes[recordStart..<end]), contentCount: contentEnd - recordStart,
                    line: recordLine, fields: fields, malformed: malformed))
            }
        }
    }
}
