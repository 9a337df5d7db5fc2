import Foundation

/// Where a service's requests go: scheme, host and port, plus whether S3
/// buckets go in the path (`http://host/bucket/key`) rather than the host
/// name (`https://bucket.s3.region.amazonaws.com/key`).
public struct AWSEndpoint: Sendable, Equatable {
    /// `http` or `https`.
    public var scheme: String
    /// The host name or address, IPv6 without brackets.
    public var host: String
    /// The port, or `nil` for the scheme's default.
    public var port: Int?
    /// A path prefix the endpoint carries (rare; no trailing `/`). Default empty.
    public var basePath: String
    /// Whether S3 addresses buckets in the path. True for every overridden endpoint.
    public var usesPathStyle: Bool

    /// Creates an endpoint.
    public init(scheme: String, host: String, port: Int? = nil, basePath: String = "", usesPathStyle: Bool = false) {
        self.scheme = scheme
        self.host = host
        self.port = port
        self.basePath = basePath
        self.usesPathStyle = usesPathStyle
    }

    /// Parses an endpoint URL such as `http://127.0.0.1:5000`; `nil` unless
    /// it is an absolute `http`/`https` URL with a host and no query.
    public init?(url text: String, usesPathStyle: Bool = true) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = url.host(percentEncoded: false), !host.isEmpty, url.query == nil
        else { return nil }
        var path = url.path(percentEncoded: true)
        while path.hasSuffix("/") { path.removeLast() }
        self.init(scheme: scheme, host: host, port: url.port, basePath: path, usesPathStyle: usesPathStyle)
    }

    /// The URL prefix, e.g. `http://127.0.0.1:5000` (with the base path, no trailing `/`).
    public var baseURL: String {
        let hostPart = host.contains(":") ? "[\(host)]" : host
        return "\(scheme)://\(hostPart)\(port.map { ":\($0)" } ?? "")\(basePath)"
    }

    /// The same endpoint with `prefix.` before the host (S3 virtual-hosted buckets).
    func withHostPrefix(_ prefix: String) -> AWSEndpoint {
        var copy = self
        copy.host = "\(prefix).\(host)"
        return copy
    }

    /// The `Host` header SigV4 signs: lower case, bracketed IPv6, no default port.
    var hostHeader: String { AWSRequest.hostHeader(host: host, scheme: scheme, port: port) }
}
