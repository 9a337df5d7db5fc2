/// What the server calls for each request.
public protocol HTTPResponder: Sendable {
    /// The largest body accepted for a request with this head, asked before
    /// any body byte is read (so an oversized `Content-Length` gets 413 at once).
    func maxBodySize(for head: HTTPRequestHead) -> Int?

    /// The same limit, with whatever the responder worked out to find it
    /// (a ``Router``'s route match), kept on the request so that the path
    /// is matched once per request, not once for the limit and again for
    /// the response.
    func route(_ head: HTTPRequestHead) -> HTTPRoutedHead

    /// Produces the response. Errors are the responder's to map: the server
    /// only frames what it is given.
    func respond(to request: HTTPRequest) async -> HTTPResponse
}

extension HTTPResponder {
    /// Default: the server's configured limit.
    public func maxBodySize(for head: HTTPRequestHead) -> Int? { nil }

    /// Default: ``maxBodySize(for:)`` and nothing kept.
    public func route(_ head: HTTPRequestHead) -> HTTPRoutedHead { HTTPRoutedHead(maxBodySize: maxBodySize(for: head)) }
}

/// What a responder learns from a request's head before the body is read.
public struct HTTPRoutedHead: Sendable {
    /// The largest body accepted; `nil` for the server's configured limit.
    public var maxBodySize: Int?
    /// A ``Router``'s match, handed to its `respond(to:)` on the request.
    var route: RouteTrie.Match?

    /// A limit with nothing else kept.
    public init(maxBodySize: Int?) {
        self.maxBodySize = maxBodySize
    }
}

/// A responder made from a closure (tests, benchmarks).
public struct ClosureResponder: HTTPResponder {
    private let body: @Sendable (HTTPRequest) async -> HTTPResponse
    /// Wraps `body`.
    public init(_ body: @escaping @Sendable (HTTPRequest) async -> HTTPResponse) { self.body = body }
    public func respond(to request: HTTPRequest) async -> HTTPResponse { await body(request) }
}

/// RFC 9457 problem documents for errors the server answers itself.
public enum ProblemDocument {
    /// The media type of problem documents.
    public static let contentType = "application/problem+json"

    /// A minimal problem document for `status` with a detail line.
    public static func response(_ status: HTTPStatus, detail: String) -> HTTPResponse {
        let body = #"{"type":"about:blank","title":"\#(escape(status.reasonPhrase))","status":\#(status.code),"detail":"\#(escape(detail))"}"#
        return HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Array(body.utf8))
    }

    /// Escapes text for a JSON string literal.
    public static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
