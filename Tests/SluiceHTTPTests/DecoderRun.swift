@testable import SluiceHTTP

/// One request as the decoder delivered it.
struct DecodedRequest: Equatable, CustomStringConvertible {
    var head: HTTPRequestHead
    var body: [UInt8]

    static func == (lhs: DecodedRequest, rhs: DecodedRequest) -> Bool {
        lhs.head.method == rhs.head.method && lhs.head.target == rhs.head.target
            && lhs.head.version == rhs.head.version && lhs.head.headers == rhs.head.headers
            && lhs.head.framing == rhs.head.framing && lhs.head.keepAlive == rhs.head.keepAlive
            && lhs.head.expectsContinue == rhs.head.expectsContinue && lhs.body == rhs.body
    }

    var description: String {
        "\(head.method) \(head.target) \(head.version) [\(head.headers.fields.map { "\($0.name): \($0.value)" }.joined(separator: " | "))] body=\(body.count)B"
    }
}

/// What happened when a byte stream was fed to a fresh decoder, the way
/// `HTTPConnection` drives it: events are taken until the decoder needs more,
/// and reading stops after a request that ends the connection.
struct DecoderRun: Equatable, CustomStringConvertible {
    /// Requests that reached `.end`, in order.
    var requests: [DecodedRequest] = []
    /// The number of `.head` events.
    var heads = 0
    /// The request whose head arrived but whose body did not finish.
    var partial: DecodedRequest?
    /// The error that stopped decoding.
    var error: HTTPParseError?
    /// Whether reading stopped after a `keepAlive == false` request with bytes left unread.
    var unreadAfterClose = false
    /// Whether the decoder ended between requests with nothing left over
    /// (a close here loses nothing: llhttp's "safe to finish").
    var endedAtBoundary = false
    /// Whether the input ended inside a head (the decoder still scanning for its end).
    var endedInHead = false

    var description: String {
        var lines = requests.map { "  done: \($0)" }
        if let partial { lines.append("  partial: \(partial)") }
        if let error { lines.append("  error: \(error)") }
        if unreadAfterClose { lines.append("  stopped after Connection: close with unread bytes") }
        lines.append("  heads=\(heads) boundary=\(endedAtBoundary) inHead=\(endedInHead)")
        return lines.joined(separator: "\n")
    }

    /// Feeds `pieces` one after another, draining events after each.
    init(pieces: [ArraySlice<UInt8>], limits: HTTPParserLimits = HTTPParserLimits()) {
        var decoder = HTTPRequestDecoder(limits: limits)
        var buffer = InputBuffer()
        var body: [UInt8] = []
        var head: HTTPRequestHead?
        var remaining = pieces.reduce(0) { $0 + $1.count }
        pieces: for piece in pieces {
            buffer.append(contentsOf: piece)
            remaining -= piece.count
            while true {
                let event: HTTPRequestDecoder.Event?
                do {
                    event = try decoder.next(&buffer)
                } catch {
                    self.error = error
                    break pieces
                }
                guard let event else { break }
                switch event {
                case .head(let h):
                    heads += 1
                    head = h
                    body = []
                case .body(let bytes):
                    body.append(contentsOf: bytes)
                case .end:
                    guard let h = head else {
                        self.error = HTTPParseError(.internalServerError, "end without head")
                        break pieces
                    }
                    requests.append(DecodedRequest(head: h, body: body))
                    head = nil
                    if !h.keepAlive {
                        unreadAfterClose = !buffer.isEmpty || remaining > 0
                        break pieces
                    }
                }
            }
        }
        if let head { partial = DecodedRequest(head: head, body: body) }
        endedAtBoundary = error == nil && !unreadAfterClose && decoder.isAtRequestBoundary && buffer.isEmpty
        endedInHead = error == nil && !unreadAfterClose && !endedAtBoundary && !decoder.isInBody
    }

    /// The bytes fed whole.
    init(_ bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits()) {
        self.init(pieces: [bytes[...]], limits: limits)
    }

    /// The text fed whole.
    init(_ text: String, limits: HTTPParserLimits = HTTPParserLimits()) {
        self.init(Array(text.utf8), limits: limits)
    }

    /// The bytes fed one at a time.
    init(byteByByte bytes: [UInt8], limits: HTTPParserLimits = HTTPParserLimits()) {
        self.init(pieces: bytes.indices.map { bytes[$0...$0] }, limits: limits)
    }
}
