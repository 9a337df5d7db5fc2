/// Parses one complete request head (request line and field lines, ending
/// with the empty line) and applies the message-framing rules of RFC 9112.
enum HTTPHeadParser {
    typealias S = HTTPSyntax

    /// `head` is the head's bytes without the final CRLF CRLF; `lineEnd` is
    /// the index of the CR ending the request line.
    static func parse(_ bytes: [UInt8], from start: Int, requestLineEnd lineEnd: Int, headEnd end: Int, limits: HTTPParserLimits) throws(HTTPParseError) -> HTTPRequestHead {
        let (method, target, version) = try parseRequestLine(bytes, start, lineEnd)
        var headers = HTTPHeaders()
        var lineStart = lineEnd + 2
        while lineStart < end {
            var lineStop = lineStart
            while lineStop < end && bytes[lineStop] != S.cr { lineStop += 1 }
            if headers.count >= limits.maxHeaderCount {
                throw HTTPParseError(.requestHeaderFieldsTooLarge, "too many header fields")
            }
            let (name, value) = try parseFieldLine(bytes, lineStart, lineStop)
            headers.add(name: name, value: value)
            lineStart = lineStop + 2
        }
        return try applyFramingRules(method: method, target: target, version: version, headers: headers)
    }

    /// request-line = method SP request-target SP HTTP-version (RFC 9112 §3).
    /// Exactly one SP between the parts: RFC 9112 §3 allows lenient splitting
    /// on other whitespace, which is the root of request-smuggling differentials.
    static func parseRequestLine(_ bytes: [UInt8], _ start: Int, _ end: Int) throws(HTTPParseError) -> (HTTPMethod, String, HTTPVersion) {
        var i = start
        while i < end && S.isTChar(bytes[i]) { i += 1 }
        guard i > start, i < end, bytes[i] == S.sp else { throw .bad("invalid method") }
        let method = HTTPMethod(rawValue: String(decoding: bytes[start..<i], as: UTF8.self))
        i += 1
        let targetStart = i
        while i < end && bytes[i] != S.sp {
            guard S.isTargetByte(bytes[i]) else { throw .bad("invalid character in request target") }
            i += 1
        }
        guard i > targetStart else { throw .bad("empty request target") }
        guard i < end else { throw .bad("missing HTTP version") }
        let target = String(decoding: bytes[targetStart..<i], as: UTF8.self)
        i += 1
        let version = try parseVersion(bytes[i..<end])
        try validateTarget(target, method: method)
        return (method, target, version)
    }

    /// HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3). Major versions
    /// other than 1 get 505; a higher 1.x minor is served as 1.1 (RFC 9110 §2.5).
    static func parseVersion(_ text: ArraySlice<UInt8>) throws(HTTPParseError) -> HTTPVersion {
        let prefix: [UInt8] = Array("HTTP/".utf8)
        guard text.count == 8, text.starts(with: prefix) else { throw .bad("invalid HTTP version") }
        let major = text[text.startIndex + 5]
        let dot = text[text.startIndex + 6]
        let minor = text[text.startIndex + 7]
        guard S.isDigit(major), dot == UInt8(ascii: "."), S.isDigit(minor) else { throw .bad("invalid HTTP version") }
        guard major == UInt8(ascii: "1") else {
            throw HTTPParseError(.httpVersionNotSupported, "HTTP version not supported")
        }
        return minor == UInt8(ascii: "0") ? .http1_0 : .http1_1
    }

    /// The four request-target forms of RFC 9112 §3.2, each only where allowed.
    static func validateTarget(_ target: String, method: HTTPMethod) throws(HTTPParseError) {
        if target.hasPrefix("/") { return }  // origin-form
        if target == "*" {  // asterisk-form, OPTIONS only (§3.2.4)
            guard method == .options else { throw .bad("asterisk-form is only for OPTIONS") }
            return
        }
        if method == .connect { return }  // authority-form (§3.2.3)
        let lower = target.lowercased()
        if lower.hasPrefix("http://") || lower.hasPrefix("https://") { return }  // absolute-form
        throw .bad("invalid request target")
    }

    /// field-line = field-name ":" OWS field-value OWS (RFC 9112 §5). No
    /// whitespace before the colon (§5.1: MUST reject with 400), no obs-fold
    /// (§5.2: a server MAY reject; we do, since proxies disagree on it).
    static func parseFieldLine(_ bytes: [UInt8], _ start: Int, _ end: Int) throws(HTTPParseError) -> (String, String) {
        guard start < end else { throw .bad("empty header line") }
        if bytes[start] == S.sp || bytes[start] == S.htab { throw .bad("obsolete line folding") }
        var i = start
        while i < end && bytes[i] != S.colon {
            guard S.isTChar(bytes[i]) else {
                if bytes[i] == S.sp || bytes[i] == S.htab { throw .bad("whitespace before colon in header field") }
                throw .bad("invalid character in header name")
            }
            i += 1
        }
        guard i < end, i > start else { throw .bad("invalid header field") }
        let name = String(decoding: bytes[start..<i], as: UTF8.self)
        var valueStart = i + 1
        var valueEnd = end
        while valueStart < valueEnd && (bytes[valueStart] == S.sp || bytes[valueStart] == S.htab) { valueStart += 1 }
        while valueEnd > valueStart && (bytes[valueEnd - 1] == S.sp || bytes[valueEnd - 1] == S.htab) { valueEnd -= 1 }
        for j in valueStart..<valueEnd where !S.isFieldValueByte(bytes[j]) {
            throw .bad("invalid character in header value")
        }
        return (name, S.string(bytes[valueStart..<valueEnd]))
    }

    /// Message framing (RFC 9112 §6) and the other fields the server itself acts on.
    static func applyFramingRules(method: HTTPMethod, target: String, version: HTTPVersion, headers: HTTPHeaders) throws(HTTPParseError) -> HTTPRequestHead {
        // Host: exactly one in HTTP/1.1, at most one in 1.0 (RFC 9112 §3.2).
        let hosts = headers.values(for: "host")
        if version == .http1_1 && hosts.isEmpty { throw .bad("missing Host header") }
        if hosts.count > 1 { throw .bad("multiple Host headers") }
        if let host = hosts.first, !host.utf8.allSatisfy({ S.hostByte[Int($0)] }) {
            throw .bad("invalid Host header")
        }

        let transferEncodings = headers.values(for: "transfer-encoding")
        let contentLengths = headers.values(for: "content-length")
        var framing = HTTPRequestHead.BodyFraming.none
        if !transferEncodings.isEmpty {
            // Both headers: a smuggling shape; RFC 9112 §6.1 lets a server
            // reject it, and we always do, then close.
            guard contentLengths.isEmpty else { throw .bad("both Content-Length and Transfer-Encoding") }
            // §6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
            guard version == .http1_1 else { throw .bad("Transfer-Encoding in an HTTP/1.0 request") }
            let codings = headers.tokens(for: "transfer-encoding")
            let raw = transferEncodings.joined(separator: ",")
            // Every list element must be a token (parameters are not used by
            // any coding this server accepts).
            for element in raw.split(separator: ",", omittingEmptySubsequences: false) {
                let token = element.trimmingOWS()
                guard !token.isEmpty, token.utf8.allSatisfy(S.isTChar) else { throw .bad("invalid Transfer-Encoding") }
            }
            // §6.3: a request whose final coding is not chunked cannot be framed.
            guard codings.last == "chunked" else { throw .bad("Transfer-Encoding does not end in chunked") }
            // §7: chunked must not be applied more than once.
            guard codings.count(where: { $0 == "chunked" }) == 1 else { throw .bad("chunked applied more than once") }
            guard codings.count == 1 else {
                throw HTTPParseError(.notImplemented, "unsupported transfer coding")
            }
            framing = .chunked
        } else if !contentLengths.isEmpty {
            // §6.3: several or malformed Content-Length values are unrecoverable.
            guard contentLengths.count == 1 else { throw .bad("multiple Content-Length headers") }
            let value = contentLengths[0].utf8
            guard !value.isEmpty, value.count <= 18, value.allSatisfy(S.isDigit) else {
                throw .bad("invalid Content-Length")
            }
            var length = 0
            for digit in value { length = length * 10 + Int(digit - 0x30) }
            framing = length == 0 ? .none : .length(length)
        }
        // RFC 9110 §9.3.6: a CONNECT request has no content; what follows its
        // head is tunnel data. We open no tunnels, and framing those bytes as
        // a body would split the stream differently from a proxy in front.
        if method == .connect && framing != .none { throw .bad("CONNECT request with content") }

        let connection = headers.tokens(for: "connection")
        let keepAlive: Bool
        if connection.contains("close") {
            keepAlive = false
        } else if version == .http1_0 {
            keepAlive = connection.contains("keep-alive")
        } else {
            keepAlive = true
        }

        var expectsContinue = false
        let expectations = headers.tokens(for: "expect")
        if !expectations.isEmpty {
            // RFC 9110 §10.1.1: 100-continue is the only expectation defined;
            // every listed expectation must be one we can meet.
            guard expectations.allSatisfy({ $0 == "100-continue" }) else {
                throw HTTPParseError(.expectationFailed, "unsupported expectation")
            }
            expectsContinue = version == .http1_1
        }

        return HTTPRequestHead(
            method: method, target: target, version: version, headers: headers,
            expectsContinue: expectsContinue, keepAlive: keepAlive, framing: framing
        )
    }
}
