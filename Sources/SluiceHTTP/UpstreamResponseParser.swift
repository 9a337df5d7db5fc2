/// Reads one HTTP/1.1 response as its bytes arrive (RFC 9112): the status
/// line and fields, interim 1xx responses skipped, then a body framed by
/// chunked coding, `Content-Length` or the end of the connection. Lines may
/// end in CRLF or a bare LF (§2.2). Anything else malformed is refused, so
/// a broken server's answer is never passed on as a good one.
struct UpstreamResponseParser {
    private enum State {
        case head
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    /// The longest status line plus fields, and again for trailers.
    let maxHead: Int
    /// The longest body taken.
    let maxBody: Int
    /// The request was `HEAD`: no response to it has a body.
    let noBody: Bool

    private var buffer: [UInt8] = []
    private var index = 0
    private var scanned = 0
    private var state = State.head
    private var status = 0
    private var headers: [(String, String)] = []
    private var body: [UInt8] = []
    private var interim = 0
    /// Bytes of chunk lines beyond their size digits (extensions), bounded by `maxHead`.
    private var extensionBytes = 0
    /// Whether the connection may carry another request after this response.
    private(set) var keepAlive = true
    /// Whether any byte of a response has arrived.
    private(set) var receivedAny = false

    init(maxHead: Int, maxBody: Int, noBody: Bool = false) {
        self.maxHead = maxHead
        self.maxBody = maxBody
        self.noBody = noBody
    }

    /// Takes the next bytes read; returns the response once it is complete.
    /// Bytes after a complete response mean the server is out of step, and
    /// the connection is not reused.
    mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(UpstreamError) -> UpstreamResponse? {
        guard bytes.count > 0 else { return nil }
        receivedAny = true
        buffer.append(contentsOf: bytes)
        let response = try parse()
        if response != nil, index < buffer.count { keepAlive = false }
        // Drop what was parsed, so that a server dribbling lines cannot
        // grow the buffer past the line being read.
        if index == buffer.count {
            buffer.removeAll(keepingCapacity: true)
        } else if index > 0 {
            buffer.removeSubrange(0..<index)
        }
        scanned = max(0, scanned - index)
        index = 0
        return response
    }

    /// The connection ended: the response if the end of the connection
    /// completes it (a body delimited by the close), otherwise an error.
    mutating func finish() throws(UpstreamError) -> UpstreamResponse {
        guard case .untilClose = state else {
            throw UpstreamError(.receiveFailed, receivedAny ? "the connection closed before the response was complete" : "the connection closed without a response")
        }
        keepAlive = false
        return makeResponse()
    }

    private mutating func parse() throws(UpstreamError) -> UpstreamResponse? {
        while true {
            switch state {
            case .head:
                guard let end = try headEnd() else { return nil }
                if let response = try parseHead(upTo: end) { return response }
            case .fixed(let remaining):
                let take = min(remaining, buffer.count - index)
                body.append(contentsOf: buffer[index..<(index + take)])
                index += take
                if take == remaining { return makeResponse() }
                state = .fixed(remaining: remaining - take)
                return nil
            case .chunkSize:
                guard let line = try nextLine(limit: 1024) else { return nil }
                let size = try Self.chunkSize(buffer[line])
                extensionBytes += max(0, line.count - 16)
                guard extensionBytes <= maxHead else { throw UpstreamError(.invalidResponse, "the chunk extensions are over \(maxHead) bytes") }
                if size == 0 {
                    state = .trailers
                    scanned = index
                } else {
                    guard size <= maxBody - body.count else { throw UpstreamError(.responseTooLarge, "the response body is over \(maxBody) bytes") }
                    state = .chunkData(remaining: size)
                }
            case .chunkData(let remaining):
                let take = min(remaining, buffer.count - index)
                body.append(contentsOf: buffer[index..<(index + take)])
                index += take
                guard take == remaining else {
                    state = .chunkData(remaining: remaining - take)
                    return nil
                }
                state = .chunkDataEnd
            case .chunkDataEnd:
                guard let line = try nextLine(limit: 2) else { return nil }
                guard line.isEmpty else { throw UpstreamError(.invalidResponse, "a chunk is longer than its size") }
                state = .chunkSize
            case .trailers:
                guard let end = try headEnd() else { return nil }
                index = end
                return makeResponse()
            case .untilClose:
                guard buffer.count - index <= maxBody - body.count else {
                    throw UpstreamError(.responseTooLarge, "the response body is over \(maxBody) bytes")
                }
                body.append(contentsOf: buffer[index...])
                index = buffer.count
                return nil
            }
        }
    }

    /// The index just past the empty line that ends a head (or the
    /// trailers) starting at `index`, once it has arrived.
    private mutating func headEnd() throws(UpstreamError) -> Int? {
        var position = max(scanned, index)
        while position < buffer.count {
            if buffer[position] == HTTPSyntax.lf {
                guard position - index < maxHead else {
                    throw UpstreamError(.invalidResponse, "the response head is over \(maxHead) bytes")
                }
                // An empty line: LF at the head's start or after the previous LF, with an optional CR.
                if position == index || buffer[position - 1] == HTTPSyntax.lf
                    || (position - 1 == index && buffer[position - 1] == HTTPSyntax.cr)
                    || (position >= index + 2 && buffer[position - 1] == HTTPSyntax.cr && buffer[position - 2] == HTTPSyntax.lf) {
                    return position + 1
                }
            }
            position += 1
        }
        scanned = position
        guard buffer.count - index <= maxHead else {
            throw UpstreamError(.invalidResponse, "the response head is over \(maxHead) bytes")
        }
        return nil
    }

    /// The next line's bytes (without CR LF) once it has arrived.
    private mutating func nextLine(limit: Int) throws(UpstreamError) -> Range<Int>? {
        guard let lf = buffer[index...].firstIndex(of: HTTPSyntax.lf) else {
            guard buffer.count - index <= limit else { throw UpstreamError(.invalidResponse, "a chunk line is too long") }
            return nil
        }
        let end = lf > index && buffer[lf - 1] == HTTPSyntax.cr ? lf - 1 : lf
        defer { index = lf + 1 }
        return index..<end
    }

    /// Parses the status line and fields in `index..<end`; returns the
    /// response when it has no body, skips a 1xx.
    private mutating func parseHead(upTo end: Int) throws(UpstreamError) -> UpstreamResponse? {
        var statusLine: (status: Int, minor: Int)?
        var fields: [(String, String)] = []
        var start = index
        for position in index..<end where buffer[position] == HTTPSyntax.lf {
            let lineEnd = position > start && buffer[position - 1] == HTTPSyntax.cr ? position - 1 : position
            if lineEnd > start {
                if statusLine == nil {
                    statusLine = try Self.statusLine(buffer[start..<lineEnd])
                } else {
                    fields.append(try Self.field(buffer[start..<lineEnd]))
                }
            }
            start = position + 1
        }
        index = end
        scanned = end
        guard let (status, minor) = statusLine else { throw UpstreamError(.invalidResponse, "the response has no status line") }
        if (100..<200).contains(status) {
            guard status != 101 else { throw UpstreamError(.invalidResponse, "the server switched protocols") }
            interim += 1
            guard interim <= 8 else { throw UpstreamError(.invalidResponse, "more than 8 interim responses") }
            return nil
        }
        self.status = status
        self.headers = fields
        return try frame(minor: minor)
    }

    /// Chooses the body's framing from the fields (RFC 9112 §6.3).
    private mutating func frame(minor: Int) throws(UpstreamError) -> UpstreamResponse? {
        var contentLength: Int?
        var chunked = false
        var hasTransferEncoding = false
        var connectionClose = false
        var connectionKeepAlive = false
        for (name, value) in headers {
            if HTTPSyntax.equalsIgnoringCase(name, "content-length") {
                // The first bad item's error, as when each item threw.
                var failure: UpstreamError?
                Self.forEachItem(value, keepingEmpty: true) { item in
                    guard failure == nil else { return }
                    guard !item.isEmpty, item.count <= 18, item.allSatisfy(HTTPSyntax.isDigit) else {
                        failure = UpstreamError(.invalidResponse, "the response's Content-Length is not a number")
                        return
                    }
                    let length = item.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                    guard contentLength == nil || contentLength == length else {
                        failure = UpstreamError(.invalidResponse, "the response has conflicting Content-Length values")
                        return
                    }
                    contentLength = length
                }
                if let failure { throw failure }
            } else if HTTPSyntax.equalsIgnoringCase(name, "transfer-encoding") {
                hasTransferEncoding = true
                var last: Substring.UTF8View?
                Self.forEachItem(value, keepingEmpty: false) { last = $0 }
                chunked = last.map { HTTPSyntax.equalsIgnoringCase($0, "chunked") } ?? false
            } else if HTTPSyntax.equalsIgnoringCase(name, "connection") {
                Self.forEachItem(value, keepingEmpty: false) { token in
                    if HTTPSyntax.equalsIgnoringCase(token, "close") { connectionClose = true }
                    if HTTPSyntax.equalsIgnoringCase(token, "keep-alive") { connectionKeepAlive = true }
                }
            }
        }
        keepAlive = minor >= 1 ? !connectionClose : connectionKeepAlive
        // HTTP/1.0 has no chunked coding: such a response cannot be trusted to end where it says (RFC 9112 §6.1).
        if minor == 0, hasTransferEncoding { keepAlive = false }
        if noBody || status == 204 || status == 304 { return makeResponse() }
        if hasTransferEncoding {
            // Both framings present: chunked wins, and the connection is not trusted again.
            if contentLength != nil { keepAlive = false }
            guard chunked else {
                keepAlive = false
                state = .untilClose
                return nil
            }
            state = .chunkSize
            return nil
        }
        if let contentLength {
            guard contentLength <= maxBody else { throw UpstreamError(.responseTooLarge, "the response body is over \(maxBody) bytes") }
            if contentLength == 0 { return makeResponse() }
            body.reserveCapacity(min(contentLength, 64 << 10))
            state = .fixed(remaining: contentLength)
            return nil
        }
        keepAlive = false
        state = .untilClose
        return nil
    }

    private func makeResponse() -> UpstreamResponse {
        UpstreamResponse(status: status, headers: headers, body: body)
    }

    /// `HTTP/1.x SP 3DIGIT [SP reason]`: the status and the minor version.
    static func statusLine(_ line: ArraySlice<UInt8>) throws(UpstreamError) -> (status: Int, minor: Int) {
        let at = line.startIndex
        guard line.count >= 12, line[at..<(at + 7)].elementsEqual("HTTP/1.".utf8), HTTPSyntax.isDigit(line[at + 7]),
              line[at + 8] == HTTPSyntax.sp, line[(at + 9)...(at + 11)].allSatisfy(HTTPSyntax.isDigit),
              line.count == 12 || line[at + 12] == HTTPSyntax.sp
        else {
            throw UpstreamError(.invalidResponse, "the response's status line is malformed")
        }
        let status = line[(at + 9)...(at + 11)].reduce(0) { $0 * 10 + Int($1 - 0x30) }
        guard status >= 100 else { throw UpstreamError(.invalidResponse, "the response's status is not valid") }
        return (status, Int(line[at + 7] - 0x30))
    }

    /// `name ":" OWS value OWS`. Whitespace before the colon and folded
    /// lines are refused (RFC 9112 §5.1, §5.2).
    static func field(_ line: ArraySlice<UInt8>) throws(UpstreamError) -> (String, String) {
        guard let colon = line.firstIndex(of: HTTPSyntax.colon), colon > line.startIndex,
              line[line.startIndex..<colon].allSatisfy(HTTPSyntax.isTChar)
        else {
            throw UpstreamError(.invalidResponse, "the response has a malformed field line")
        }
        var valueStart = colon + 1
        var valueEnd = line.endIndex
        while valueStart < valueEnd, line[valueStart] == HTTPSyntax.sp || line[valueStart] == HTTPSyntax.htab { valueStart += 1 }
        while valueEnd > valueStart, line[valueEnd - 1] == HTTPSyntax.sp || line[valueEnd - 1] == HTTPSyntax.htab { valueEnd -= 1 }
        guard line[valueStart..<valueEnd].allSatisfy(HTTPSyntax.isFieldValueByte) else {
            throw UpstreamError(.invalidResponse, "the response has a malformed field value")
        }
        return (String(decoding: line[line.startIndex..<colon], as: UTF8.self), HTTPSyntax.string(line[valueStart..<valueEnd]))
    }

    /// A chunk-size line: hex digits, then optional extensions.
    static func chunkSize(_ line: ArraySlice<UInt8>) throws(UpstreamError) -> Int {
        var size = 0
        var digits = 0
        for byte in line {
            guard let value = HTTPSyntax.hexValue(byte) else {
                guard digits > 0, byte == 0x3B || byte == HTTPSyntax.sp || byte == HTTPSyntax.htab else {
                    throw UpstreamError(.invalidResponse, "a chunk size is malformed")
                }
                return size
            }
            digits += 1
            guard digits <= 15 else { throw UpstreamError(.invalidResponse, "a chunk size is too large") }
            size = size * 16 + value
        }
        guard digits > 0 else { throw UpstreamError(.invalidResponse, "a chunk size is malformed") }
        return size
    }

    /// Calls `body` with each item of a comma-separated field value,
    /// without the spaces and tabs around it: no array, no copy.
    static func forEachItem(_ value: String, keepingEmpty: Bool, _ body: (Substring.UTF8View) -> Void) {
        let bytes = value.utf8
        var start = bytes.startIndex
        while true {
            let end = bytes[start...].firstIndex(of: 0x2C) ?? bytes.endIndex
            var lower = start
            var upper = end
            while lower < upper, bytes[lower] == HTTPSyntax.sp || bytes[lower] == HTTPSyntax.htab { bytes.formIndex(after: &lower) }
            while upper > lower {
                let before = bytes.index(before: upper)
                guard bytes[before] == HTTPSyntax.sp || bytes[before] == HTTPSyntax.htab else { break }
                upper = before
            }
            if keepingEmpty || upper > lower { body(value[lower..<upper].utf8) }
            guard end < bytes.endIndex else { return }
            start = bytes.index(after: end)
        }
    }
}
