/// An incremental HTTP/1.1 request decoder: feed it whatever arrived, in
/// pieces of any size, and take events until it needs more.
///
/// It never needs a whole request in one read: the head is scanned as it
/// arrives (remembering how far it has looked), bodies are handed out as
/// they come. After an error the connection must be closed: the decoder
/// does not try to resynchronise, since any guess could desynchronise it.
public struct HTTPRequestDecoder: Sendable {
    typealias S = HTTPSyntax

    /// What the decoder found.
    public enum Event: Sendable {
        /// A complete, validated head.
        case head(HTTPRequestHead)
        /// Some body bytes (de-chunked).
        case body(ArraySlice<UInt8>)
        /// The end of the current request; the decoder expects the next head.
        case end
    }

    private enum State: Sendable {
        /// Scanning for the end of the head: `scanned` bytes after the buffer
        /// start are already checked; `lineEnd` is the offset of the request
        /// line's CR from the buffer start (offsets survive buffer compaction).
        case head(scanned: Int, lineEnd: Int?)
        case endOfMessage
        case sized(remaining: Int)
        case chunkLine(scanned: Int)
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers(scanned: Int, lineStart: Int)
        case failed
    }

    /// The limits in force.
    public let limits: HTTPParserLimits
    private var state: State = .head(scanned: 0, lineEnd: nil)
    /// Chunk-extension bytes of the current message so far.
    private var extensionBytes = 0

    /// Creates a decoder expecting a request head.
    public init(limits: HTTPParserLimits = HTTPParserLimits()) {
        self.limits = limits
    }

    /// Whether the decoder is between requests, with nothing of the next one consumed.
    public var isAtRequestBoundary: Bool {
        if case .head(0, nil) = state { return true }
        return false
    }

    /// Whether the decoder is reading a body.
    public var isInBody: Bool {
        switch state {
        case .sized, .chunkLine, .chunkData, .chunkDataEnd, .trailers, .endOfMessage: true
        case .head, .failed: false
        }
    }

    /// Decodes the next event from `buffer`, consuming what it used.
    /// Returns `nil` when more bytes are needed.
    public mutating func next(_ buffer: inout InputBuffer) throws(HTTPParseError) -> Event? {
        do {
            return try step(&buffer)
        } catch {
            state = .failed
            throw error
        }
    }

    private mutating func step(_ buffer: inout InputBuffer) throws(HTTPParseError) -> Event? {
        switch state {
        case .failed:
            throw .bad("connection already failed")
        case .head(let scanned, let lineEnd):
            return try decodeHead(&buffer, scanned: scanned, lineEnd: lineEnd)
        case .endOfMessage:
            state = .head(scanned: 0, lineEnd: nil)
            return .end
        case .sized(let remaining):
            guard !buffer.isEmpty else { return nil }
            let take = min(remaining, buffer.readableCount)
            let slice = buffer.bytes[buffer.start..<(buffer.start + take)]
            buffer.consume(take)
            state = take == remaining ? .endOfMessage : .sized(remaining: remaining - take)
            return .body(slice)
        case .chunkLine(let scanned):
            return try decodeChunkLine(&buffer, scanned: scanned)
        case .chunkData(let remaining):
            guard !buffer.isEmpty else { return nil }
            let take = min(remaining, buffer.readableCount)
            let slice = buffer.bytes[buffer.start..<(buffer.start + take)]
            buffer.consume(take)
            state = take == remaining ? .chunkDataEnd : .chunkData(remaining: remaining - take)
            return .body(slice)
        case .chunkDataEnd:
            // chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF (RFC 9112 §7.1)
            guard buffer.readableCount >= 2 else {
                if buffer.readableCount == 1 && buffer.bytes[buffer.start] != S.cr { throw .bad("chunk data not followed by CRLF") }
                return nil
            }
            guard buffer.bytes[buffer.start] == S.cr, buffer.bytes[buffer.start + 1] == S.lf else {
                throw .bad("chunk data not followed by CRLF")
            }
            buffer.consume(2)
            state = .chunkLine(scanned: 0)
            return try step(&buffer)
        case .trailers(let scanned, let lineStart):
            return try decodeTrailers(&buffer, scanned: scanned, lineStart: lineStart)
        }
    }

    // MARK: Head

    /// Scans for CRLF CRLF, checking line endings as it goes, then parses the
    /// whole head. Bare CR and bare LF are rejected (RFC 9112 §2.2).
    private mutating func decodeHead(_ buffer: inout InputBuffer, scanned: Int, lineEnd lineEndOffset: Int?) throws(HTTPParseError) -> Event? {
        var lineEnd = lineEndOffset.map { $0 + buffer.start }
        var i = buffer.start + scanned
        let bytes = buffer.bytes
        let end = bytes.count
        while i < end {
            let b = bytes[i]
            if i > buffer.start && bytes[i - 1] == S.cr && b != S.lf { throw .bad("bare CR in head") }
            if b == S.lf {
                guard i > buffer.start, bytes[i - 1] == S.cr else { throw .bad("bare LF in head") }
                if lineEnd == nil {
                    if i == buffer.start + 1 {
                        // RFC 9112 §2.2: ignore empty lines before the request line.
                        // A loop, not recursion: a read can hold 100k of them.
                        buffer.consume(2)
                        i = buffer.start
                        continue
                    }
                    lineEnd = i - 1
                } else if i >= buffer.start + 3 && bytes[i - 2] == S.lf {
                    // The empty line: the head ends here.
                    let headEnd = i - 3  // index of the CR ending the last field line (or request line)
                    // The limit covers the whole head, this final LF included.
                    if i + 1 - buffer.start > limits.maxHeadLength {
                        throw HTTPParseError(.requestHeaderFieldsTooLarge, "request header fields too large")
                    }
                    let head = try HTTPHeadParser.parse(
                        bytes, from: buffer.start, requestLineEnd: lineEnd ?? headEnd, headEnd: headEnd,
                        limits: limits
                    )
                    buffer.consume(i + 1 - buffer.start)
                    extensionBytes = 0
                    switch head.framing {
                    case .none: state = .endOfMessage
                    case .length(let n): state = .sized(remaining: n)
                    case .chunked: state = .chunkLine(scanned: 0)
                    }
                    return .head(head)
                }
            } else if lineEnd == nil {
                // Fail fast on what can never be a request line (a TLS hello,
                // binary noise) instead of waiting for a timeout.
                if b < 0x20 && b != S.cr { throw .bad("control character in request line") }
                if b == 0x7F { throw .bad("control character in request line") }
            }
            i += 1
            let consumed = i - buffer.start
            // The request line's length excludes its CRLF (RFC 9112 §3).
            if lineEnd == nil && b != S.cr && consumed > limits.maxRequestLineLength {
                throw HTTPParseError(.uriTooLong, "request line too long")
            }
            if consumed > limits.maxHeadLength {
                throw HTTPParseError(.requestHeaderFieldsTooLarge, "request header fields too large")
            }
        }
        state = .head(scanned: i - buffer.start, lineEnd: lineEnd.map { $0 - buffer.start })
        return nil
    }

    // MARK: Chunked body

    /// chunk-size [ chunk-ext ] CRLF, with chunk-ext =
    /// *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] ) (RFC 9112 §7.1.1).
    /// Extensions are checked and ignored.
    private mutating func decodeChunkLine(_ buffer: inout InputBuffer, scanned: Int) throws(HTTPParseError) -> Event? {
        let bytes = buffer.bytes
        var i = buffer.start + scanned
        while i < bytes.count {
            let b = bytes[i]
            if b == S.lf {
                guard i > buffer.start, bytes[i - 1] == S.cr else { throw .bad("bare LF in chunk size line") }
                let (size, extensions) = try Self.parseChunkLine(bytes[buffer.start..<(i - 1)])
                extensionBytes += extensions
                guard extensionBytes <= limits.maxChunkExtensionBytes else { throw .bad("chunk extensions too long") }
                buffer.consume(i + 1 - buffer.start)
                if size == 0 {
                    state = .trailers(scanned: 0, lineStart: 0)
                    return try step(&buffer)
                }
                state = .chunkData(remaining: size)
                return try step(&buffer)
            }
            if i > buffer.start && bytes[i - 1] == S.cr { throw .bad("bare CR in chunk size line") }
            i += 1
            if b != S.cr && i - buffer.start > limits.maxChunkLineLength { throw .bad("chunk size line too long") }
        }
        state = .chunkLine(scanned: i - buffer.start)
        return nil
    }

    /// The chunk size, and how many bytes of extensions followed it.
    static func parseChunkLine(_ line: ArraySlice<UInt8>) throws(HTTPParseError) -> (size: Int, extensionBytes: Int) {
        var i = line.startIndex
        var size = 0
        var digits = 0
        while i < line.endIndex, let value = S.hexValue(line[i]) {
            // 15 hex digits fit in Int64 with room; more is an overflow attack.
            guard digits < 15 else { throw .bad("chunk size too large") }
            size = size << 4 | value
            digits += 1
            i += 1
        }
        guard digits > 0 else { throw .bad("invalid chunk size") }
        try validateChunkExtensions(line[i...])
        return (size, line.endIndex - i)
    }

    private static func validateChunkExtensions(_ ext: ArraySlice<UInt8>) throws(HTTPParseError) {
        var i = ext.startIndex
        func skipBWS() { while i < ext.endIndex && (ext[i] == S.sp || ext[i] == S.htab) { i += 1 } }
        func token() -> Bool {
            let start = i
            while i < ext.endIndex && S.isTChar(ext[i]) { i += 1 }
            return i > start
        }
        while i < ext.endIndex {
            skipBWS()
            guard i < ext.endIndex, ext[i] == UInt8(ascii: ";") else { throw .bad("invalid chunk extension") }
            i += 1
            skipBWS()
            guard token() else { throw .bad("invalid chunk extension") }
            skipBWS()
            guard i < ext.endIndex, ext[i] == UInt8(ascii: "=") else { continue }
            i += 1
            skipBWS()
            if i < ext.endIndex && ext[i] == UInt8(ascii: "\"") {
                // quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
                i += 1
                var closed = false
                while i < ext.endIndex {
                    let c = ext[i]
                    if c == UInt8(ascii: "\"") { closed = true; i += 1; break }
                    if c == UInt8(ascii: "\\") {
                        i += 1
                        guard i < ext.endIndex, S.isFieldValueByte(ext[i]) else { throw .bad("invalid chunk extension") }
                    } else if !S.isFieldValueByte(c) {
                        throw .bad("invalid chunk extension")
                    }
                    i += 1
                }
                guard closed else { throw .bad("invalid chunk extension") }
            } else {
                guard token() else { throw .bad("invalid chunk extension") }
            }
        }
    }

    /// trailer-section = *( field-line CRLF ) CRLF (RFC 9112 §7.1.2): checked
    /// like header fields, then ignored (§7.1.2 lets a recipient discard them).
    private mutating func decodeTrailers(_ buffer: inout InputBuffer, scanned: Int, lineStart lineOffset: Int) throws(HTTPParseError) -> Event? {
        let bytes = buffer.bytes
        var i = buffer.start + scanned
        var lineStart = buffer.start + lineOffset
        while i < bytes.count {
            let b = bytes[i]
            if i > buffer.start && bytes[i - 1] == S.cr && b != S.lf { throw .bad("bare CR in trailers") }
            if b == S.lf {
                guard i > buffer.start, bytes[i - 1] == S.cr else { throw .bad("bare LF in trailers") }
                if i - 1 == lineStart {
                    buffer.consume(i + 1 - buffer.start)
                    state = .endOfMessage
                    return try step(&buffer)
                }
                _ = try HTTPHeadParser.parseFieldLine(bytes, lineStart, i - 1)
                lineStart = i + 1
            }
            i += 1
            if i - buffer.start > limits.maxTrailerLength {
                throw HTTPParseError(.requestHeaderFieldsTooLarge, "trailer section too large")
            }
        }
        state = .trailers(scanned: i - buffer.start, lineStart: lineStart - buffer.start)
        return nil
    }
}
