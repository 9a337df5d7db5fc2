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
        let utf8 = url.utf8
        guard utf8.count > 7, utf8.prefix(7).elementsEqual("http://".utf8) else { return nil }
        let rest = url.utf8.dropFirst(7)
        let authorityEnd = rest.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") } ?? rest.endIndex
        let authority = Substring(rest[rest.startIndex..<authorityEnd])
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        var host = authority
        var port: UInt16 = 80
        if let colon = authority.lastIndex(of: ":"), !authority[colon...].contains("]") {
            guard let number = UInt16(authority[authority.index(after: colon)...]), number > 0 else { return nil }
            port = number
            host = authority[..<colon]
        }
        guard !host.isEmpty, let address = try? SocketAddress.make(host: String(host), port: port) else { return nil }
        var path = String(Substring(rest[authorityEnd...]))
        if let fragment = path.firstIndex(of: "#") { path = String(path[..<fragment]) }
        if path.isEmpty || path.first == "?" { path = "/" + path }
        guard path.utf8.allSatisfy(HTTPSyntax.isTargetByte) else { return nil }
        return UpstreamTarget(address: address, hostField: String(authority), path: path)
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
    static let framingFields: Set<String> = ["host", "content-length", "transfer-encoding", "connection", "expect", "upgrade"]

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
                  !Self.framingFields.contains(name.lowercased())
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
