/// Serialises response heads (RFC 9112 §4) and chunked framing (§7.1).
enum HTTPResponseEncoder {
    /// How the body of an encoded response is framed on the wire.
    enum Framing {
        /// `Content-Length: n` (also used, without a body, for HEAD).
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
        /// No length: the body ends when the connection closes (HTTP/1.0 streams).
        case closeDelimited
        /// No body and no length header (1xx, 204, 304).
        case none
    }

    /// The head bytes: status line, the handler's headers (minus the ones
    /// the server owns), `Date`, framing and `Connection`.
    static func head(status: HTTPStatus, headers: HTTPHeaders, version: HTTPVersion, framing: Framing, keepAlive: Bool, date: [UInt8], reserve: Int = 0) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(128 + headers.count * 32 + reserve)
        // A 1.0 client gets a 1.1 status line: RFC 9110 §6.2 says a server
        // sends its own highest version; the framing below stays 1.0-safe.
        out.append(contentsOf: "HTTP/1.1 ".utf8)
        appendInt(&out, status.code)
        out.append(0x20)
        out.append(contentsOf: status.reasonPhrase.utf8)
        out.append(contentsOf: "\r\n".utf8)
        var hasDate = false
        for field in headers {
            if HTTPHeaders.equalNames(field.name, "content-length") || HTTPHeaders.equalNames(field.name, "transfer-encoding")
                || HTTPHeaders.equalNames(field.name, "connection")
            {
                continue
            }
            if HTTPHeaders.equalNames(field.name, "date") { hasDate = true }
            appendField(&out, field.name, field.value)
        }
        if !hasDate {
            out.append(contentsOf: "Date: ".utf8)
            out.append(contentsOf: date)
            out.append(contentsOf: "\r\n".utf8)
        }
        switch framing {
        case .length(let n):
            out.append(contentsOf: "Content-Length: ".utf8)
            appendInt(&out, n)
            out.append(contentsOf: "\r\n".utf8)
        case .chunked:
            out.append(contentsOf: "Transfer-Encoding: chunked\r\n".utf8)
        case .closeDelimited, .none:
            break
        }
        if !keepAlive {
            out.append(contentsOf: "Connection: close\r\n".utf8)
        } else if version == .http1_0 {
            out.append(contentsOf: "Connection: keep-alive\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    /// One chunk: size in hex, CRLF, data, CRLF.
    static func chunk(_ data: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(data.count + 12)
        out.append(contentsOf: String(data.count, radix: 16).utf8)
        out.append(contentsOf: "\r\n".utf8)
        out.append(contentsOf: data)
        out.append(contentsOf: "\r\n".utf8)
        return out
    }

    /// The last chunk with an empty trailer section.
    static let lastChunk: [UInt8] = Array("0\r\n\r\n".utf8)

    /// A field line; CR, LF and NUL in handler-supplied text are replaced
    /// with spaces so a handler can never split the response (RFC 9110 §5.5).
    private static func appendField(_ out: inout [UInt8], _ name: String, _ value: String) {
        for b in name.utf8 { out.append(b == 0x0D || b == 0x0A || b == 0 || b == 0x3A ? 0x20 : b) }
        out.append(contentsOf: ": ".utf8)
        for b in value.utf8 { out.append(b == 0x0D || b == 0x0A || b == 0 ? 0x20 : b) }
        out.append(contentsOf: "\r\n".utf8)
    }

    private static func appendInt(_ out: inout [UInt8], _ value: Int) {
        guard value > 0 else {
            out.append(0x30)
            return
        }
        var digits: [UInt8] = []
        var v = value
        while v > 0 {
            digits.append(UInt8(0x30 + v % 10))
            v /= 10
        }
        out.append(contentsOf: digits.reversed())
    }
}
