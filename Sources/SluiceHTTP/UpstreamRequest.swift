import SluiceSockets

/// Where an ``UpstreamClient`` call goes: a numeric address and port, and
/// the `Host` value that names them. Made from a URL by ``parse(_:)``.
public struct UpstreamTarget: Sendable, Hashable {
    let address: SocketAddress
    let hostField: String
    /// The path and query of the URL it was parsed from (`/` when empty).
    public let path: String

    /// `http://host[:port][/path]` whose host is an IPv4 or bracketed IPv6
    /// literal or `localhost`; `nil` for anything else (`https`, host names,
    /// user info), which needs a resolver or TLS that this client has not.
    public static func parse(_ url: String) -> UpstreamTarget? {
        let bytes = Array(url.utf8)
        let scheme = "http://".utf8
        guard bytes.count > scheme.count, bytes[0..<scheme.count].elementsEqual(scheme) else { return nil }
        let authorityStart = scheme.count
        let authorityEnd = bytes[authorityStart...].firstIndex { $0 == 0x2F || $0 == 0x3F || $0 == 0x23 } ?? bytes.count // / ? #
        let authority = bytes[authorityStart..<authorityEnd]
        // Only the bytes of a host and port: no user info, nothing that could end the `Host` line.
        guard !authority.isEmpty, authority.allSatisfy({ HTTPSyntax.hostByte[Int($0)] }), !authority.contains(0x40) else { return nil } // @
        var hostEnd = authorityEnd
        var port: UInt16 = 80
        // The last colon starts the port, unless it is inside an IPv6 literal's brackets.
        if let colon = authority.lastIndex(of: 0x3A), !authority[colon...].contains(0x5D) {
            let digits = authority[(colon + 1)...]
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy(HTTPSyntax.isDigit) else { return nil }
            let number = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard number > 0, number <= Int(UInt16.max) else { return nil }
            port = UInt16(number)
            hostEnd = colon
        }
        guard hostEnd > authorityStart,
              let address = try? SocketAddress.make(host: String(decoding: bytes[authorityStart..<hostEnd], as: UTF8.self), port: port)
        else { return nil }
        let pathEnd = bytes[authorityEnd...].firstIndex(of: 0x23) ?? bytes.count
        let rawPath = bytes[authorityEnd..<pathEnd]
        guard rawPath.allSatisfy(HTTPSyntax.isTargetByte) else { return nil }
        let path = rawPath.first == 0x2F ? String(decoding: rawPath, as: UTF8.self) : "/" + String(decoding: rawPath, as: UTF8.self)
        return UpstreamTarget(address: address, hostField: String(decoding: authority, as: UTF8.self), path: path)
    }
}

/// One request for ``UpstreamClient``: sent as HTTP/1.1 with `Host` and,
/// when there is a body or the method carries one, `Content-Length`.
public struct UpstreamRequest: Sendable {
    public var method: String
    public var target: UpstreamTarget
    public var headers: [(String, String)]
    public var body: [UInt8]
    /// The longest response body taken; a longer one fails as `.responseTooLarge`.
    public var maxResponseBytes: Int

    public init(method: String, target: UpstreamTarget, headers: [(String, String)] = [], body: [UInt8] = [], maxResponseBytes: Int = 8 << 20) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
        self.maxResponseBytes = maxResponseBytes
    }

    /// Fields this client writes itself, so that a caller cannot change the message's framing.
    static let framingFields: [StaticString] = ["host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"]

    /// The request line and fields, or `nil` when a method, name or value
    /// could split the message (a line break, a control byte) or a field is
    /// one of ``framingFields``.
    func encodedHead(userAgent: String?) -> [UInt8]? {
        guard !method.isEmpty, method.utf8.allSatisfy(HTTPSyntax.isTChar) else { return nil }
        var head: [UInt8] = []
        head.reserveCapacity(128 + headers.count * 48)
        head.append(contentsOf: method.utf8)
        head.append(HTTPSyntax.sp)
        head.append(contentsOf: target.path.utf8)
        head.append(contentsOf: " HTTP/1.1\r\nHost: ".utf8)
        head.append(contentsOf: target.hostField.utf8)
        head.append(contentsOf: "\r\n".utf8)
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy(HTTPSyntax.isTChar), value.utf8.allSatisfy(HTTPSyntax.isFieldValueByte),
                  !Self.framingFields.contains(where: { HTTPSyntax.equalsIgnoringCase(name, $0) })
            else { return nil }
            head.append(contentsOf: name.utf8)
            head.append(contentsOf: ": ".utf8)
            head.append(contentsOf: value.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        if let userAgent {
            head.append(contentsOf: "User-Agent: ".utf8)
            head.append(contentsOf: userAgent.utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        if !body.isEmpty || method == "POST" || method == "PUT" || method == "PATCH" {
            head.append(contentsOf: "Content-Length: ".utf8)
            head.append(contentsOf: String(body.count).utf8)
            head.append(contentsOf: "\r\n".utf8)
        }
        head.append(contentsOf: "\r\n".utf8)
        return head
    }
}

/// A complete response: status, fields in arrival order, body.
public struct UpstreamResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public init(status: Int, headers: [(String, String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first field named `name` (ASCII case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.utf8.count == name.utf8.count && $0.0.lowercased() == name.lowercased() }?.1
    }
}
