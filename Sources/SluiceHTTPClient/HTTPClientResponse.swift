/// The status line and header fields of a response.
public struct HTTPClientResponseHead: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields in order, as received (the final response's only).
    public var headers: [(String, String)]

    /// Creates a head.
    public init(status: Int, headers: [(String, String)] = []) {
        self.status = status
        self.headers = headers
    }

    /// The first value of the header `name`, compared case-insensitively
    /// (RFC 9110 §5.1), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { Self.equalIgnoringASCIICase($0.0, name) }?.1
    }

    /// Field names are ASCII tokens: compares without lowercasing copies.
    static func equalIgnoringASCIICase(_ lhs: String, _ rhs: String) -> Bool {
        lhs.utf8.elementsEqual(rhs.utf8) { a, b in
            a == b || (a | 0x20 == b | 0x20 && (a | 0x20) >= UInt8(ascii: "a") && (a | 0x20) <= UInt8(ascii: "z"))
        }
    }
}

/// A complete response with its body in memory.
public struct HTTPClientResponse: Sendable {
    /// The status line and headers.
    public var head: HTTPClientResponseHead
    /// The body bytes (empty when none).
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.head = HTTPClientResponseHead(status: status, headers: headers)
        self.body = body
    }

    /// Shorthand for `head.status`.
    public var status: Int { head.status }
    /// Shorthand for `head.headers`.
    public var headers: [(String, String)] { head.headers }
    /// Shorthand for `head.header(_:)`.
    public func header(_ name: String) -> String? { head.header(name) }
}
