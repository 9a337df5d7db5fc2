public import Foundation

/// The parts of an HTTP request that SigV4 signs, independent of any HTTP client.
///
/// `path` and `query` are the request target exactly as it goes on the wire
/// (already percent-encoded, `query` without the `?`); the signer derives the
/// canonical forms from them. `headers` keep their order and repeats.
/// SigV4 always signs `host`, so the headers must include `Host`;
/// ``init(method:url:headers:)`` adds it from the URL.
public struct AWSRequest: Sendable {
    /// The HTTP method, as sent (for example `GET`).
    public var method: String
    /// The percent-encoded path, starting with `/`. Defaults to `/`.
    public var path: String
    /// The percent-encoded query string without `?`; empty when there is none. Defaults to empty.
    public var query: String
    /// Header fields in order, repeats allowed. Names are matched case-insensitively.
    public var headers: [(String, String)]

    /// Creates a request from its wire parts; `path` defaults to `/`, `query` and `headers` to empty.
    public init(method: String, path: String = "/", query: String = "", headers: [(String, String)] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }

    /// Creates a request for `url`, adding a `Host` header (lower-cased host,
    /// port only when not the scheme's default) unless `headers` has one.
    ///
    /// - Throws: ``SigV4Error`` `.missingHost` when the URL has no host.
    public init(method: String, url: URL, headers: [(String, String)] = []) throws(SigV4Error) {
        guard let host = url.host(percentEncoded: true), !host.isEmpty else {
            throw SigV4Error(code: .missingHost, detail: "URL has no host: \(url.absoluteString)")
        }
        let path = url.path(percentEncoded: true)
        self.init(
            method: method,
            path: path.isEmpty ? "/" : path,
            query: url.query(percentEncoded: true) ?? "",
            headers: headers
        )
        if value(forHeader: "host") == nil {
            self.headers.insert(("Host", Self.hostHeader(host: host, scheme: url.scheme, port: url.port)), at: 0)
        }
    }

    /// The request target, `path` plus `?query` when there is a query.
    public var target: String { query.isEmpty ? path : "\(path)?\(query)" }

    /// All values of the header `name` (case-insensitive), in order.
    public func values(forHeader name: String) -> [String] {
        headers.compactMap { Self.sameName($0.0, name) ? $0.1 : nil }
    }

    /// The first value of the header `name` (case-insensitive), or `nil`.
    public func value(forHeader name: String) -> String? {
        headers.first { Self.sameName($0.0, name) }?.1
    }

    /// Sets the header `name` to the single `value`: replaces the first field
    /// with that name in place, removes the others, or appends when there is none.
    public mutating func setHeader(_ name: String, to value: String) {
        guard let first = headers.firstIndex(where: { Self.sameName($0.0, name) }) else {
            headers.append((name, value))
            return
        }
        headers[first] = (name, value)
        var index = headers.index(after: first)
        while index < headers.endIndex {
            if Self.sameName(headers[index].0, name) {
                headers.remove(at: index)
            } else {
                index = headers.index(after: index)
            }
        }
    }

    /// Removes every field named `name` (case-insensitive).
    public mutating func removeHeader(_ name: String) {
        headers.removeAll { Self.sameName($0.0, name) }
    }

    static func sameName(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.lowercased() == b.lowercased()
    }

    /// `Host` as botocore and curl send it: bracketed IPv6, lower case, no default port.
    static func hostHeader(host: String, scheme: String?, port: Int?) -> String {
        var value = host.lowercased()
        if value.contains(":"), !value.hasPrefix("[") {
            value = "[\(value)]"
        }
        let defaultPort: Int? =
            switch scheme?.lowercased() {
            case "http": 80
            case "https": 443
            default: nil
            }
        if let port, port != defaultPort {
            value += ":\(port)"
        }
        return value
    }
}
