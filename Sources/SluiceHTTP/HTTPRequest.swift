/// The request line and header fields of one request, validated.
public struct HTTPRequestHead: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The request target as sent (origin-form, absolute-form or `*`).
    public var target: String
    /// The protocol version (1.0 or 1.1).
    public var version: HTTPVersion
    /// The header fields in order.
    public var headers: HTTPHeaders
    /// The path of the target, percent-encoded as sent, without the query.
    public var path: String
    /// The query of the target without the `?`, or `nil`.
    public var query: String?
    /// Whether the client asked for `100 Continue` before sending the body.
    public var expectsContinue: Bool
    /// Whether the connection stays open after this exchange (RFC 9112 §9.3).
    public var keepAlive: Bool
    /// How the body is framed.
    public var framing: BodyFraming

    /// How a request body is delimited (RFC 9112 §6.3).
    public enum BodyFraming: Sendable, Equatable {
        /// No body.
        case none
        /// Exactly this many bytes.
        case length(Int)
        /// `Transfer-Encoding: chunked`.
        case chunked
    }

    /// Creates a head; `path` and `query` are split from `target`.
    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http1_1, headers: HTTPHeaders = [:],
        expectsContinue: Bool = false, keepAlive: Bool = true, framing: BodyFraming = .none
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.expectsContinue = expectsContinue
        self.keepAlive = keepAlive
        self.framing = framing
        (self.path, self.query) = Self.split(target: target)
    }

    /// Splits a request target into path and query; absolute-form loses its
    /// scheme and authority (RFC 9112 §3.2.2).
    static func split(target: String) -> (String, String?) {
        var rest = Substring(target)
        if !rest.hasPrefix("/") {
            if let colon = rest.firstIndex(of: ":"), rest[colon...].hasPrefix("://") {
                rest = rest[rest.index(colon, offsetBy: 3)...]
                if let slash = rest.firstIndex(where: { $0 == "/" || $0 == "?" }) {
                    rest = rest[slash...]
                } else {
                    rest = ""
                }
            }
        }
        let path: Substring
        let query: String?
        if let mark = rest.firstIndex(of: "?") {
            path = rest[..<mark]
            query = String(rest[rest.index(after: mark)...])
        } else {
            path = rest
            query = nil
        }
        return (path.isEmpty ? "/" : String(path), query)
    }
}

/// A complete request: head, body and where it came from.
public struct HTTPRequest: Sendable {
    /// The validated head.
    public var head: HTTPRequestHead
    /// The body bytes (empty when none), already de-chunked.
    public var body: [UInt8]
    /// The client's address as text, if known.
    public var remoteAddress: String?
    /// The route the responder matched when the head arrived (``HTTPResponder/route(_:)``).
    var route: RouteTrie.Match?

    /// Creates a request.
    public init(head: HTTPRequestHead, body: [UInt8] = [], remoteAddress: String? = nil) {
        self.head = head
        self.body = body
        self.remoteAddress = remoteAddress
    }

    /// A request carrying the route its responder matched for its head.
    init(head: HTTPRequestHead, body: [UInt8], remoteAddress: String?, route: RouteTrie.Match?) {
        self.init(head: head, body: body, remoteAddress: remoteAddress)
        self.route = route
    }

    /// Shorthand for `head.method`.
    public var method: HTTPMethod { head.method }
    /// Shorthand for `head.path`.
    public var path: String { head.path }
    /// Shorthand for `head.headers`.
    public var headers: HTTPHeaders { head.headers }
}
