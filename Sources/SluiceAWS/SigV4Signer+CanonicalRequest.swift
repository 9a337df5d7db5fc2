extension SigV4Signer {
    /// Stage 1 of SigV4: the canonical request, and the signed-header list that goes with it.
    public struct CanonicalRequest: Sendable, Hashable {
        /// `method \n uri \n query \n headers \n \n signed-headers \n payload-hash`.
        public var text: String
        /// The `;`-joined, sorted, lower-case names of the signed headers.
        public var signedHeaders: String
    }

    /// Headers never signed: `Authorization` itself, hop-by-hop fields a proxy
    /// may change (RFC 9110 §7.6.1), `Expect`, `User-Agent` and `X-Amzn-Trace-Id`.
    /// The same list as botocore's `SIGNED_HEADERS_BLACKLIST`.
    static let unsignedHeaders: Set<String> = [
        "authorization", "connection", "expect", "keep-alive", "proxy-authenticate",
        "proxy-authorization", "te", "trailer", "transfer-encoding", "upgrade",
        "user-agent", "x-amzn-trace-id",
    ]

    /// Stage 1: the canonical request for `request` as it is now, with
    /// `payloadHash` as its last line. Does not add any header.
    ///
    /// - Throws: ``SigV4Error`` `.missingHost` when `request` has no `Host` header.
    public func canonicalRequest(_ request: AWSRequest, payloadHash: String) throws(SigV4Error) -> CanonicalRequest {
        let headers = try Self.canonicalHeaders(request.headers)
        return canonicalRequest(request, headers: headers, payloadHash: payloadHash)
    }

    func canonicalRequest(_ request: AWSRequest, headers: CanonicalHeaders, payloadHash: String) -> CanonicalRequest {
        let text = [
            request.method,
            canonicalURI(request.path),
            Self.canonicalQuery(request.query),
            headers.text + "\n",
            headers.signedHeaders,
            payloadHash,
        ].joined(separator: "\n")
        return CanonicalRequest(text: text, signedHeaders: headers.signedHeaders)
    }

    /// The canonical URI of a wire path, following ``normalizesPath`` and ``encodesPathTwice``.
    package func canonicalURI(_ path: String) -> String {
        var path = path.isEmpty ? "/" : path
        if normalizesPath {
            path = Self.removingDotSegments(path)
        }
        if encodesPathTwice {
            // The wire path is already encoded once; encoding it again is the
            // second encoding the spec asks of every service but S3.
            return URIEncoding.encode(path.utf8, keepingSlash: true)
        }
        // S3: one encoding. Decode first, so a path sent with another encoder's
        // choices (`$` left bare, lower-case hex) canonicalizes the AWS way.
        return URIEncoding.encode(URIEncoding.decode(path), keepingSlash: true)
    }

    /// RFC 3986 §5.2.4 dot-segment removal, plus collapsing empty segments as AWS
    /// services do. A trailing `/` is kept; the result is `/` when nothing remains.
    package static func removingDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        for segment in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch segment {
            case ".":
                continue
            case "..":
                _ = output.popLast()
            default:
                output.append(segment)
            }
        }
        let leading = path.hasPrefix("/") ? "/" : ""
        let trailing = path.hasSuffix("/") && !output.isEmpty ? "/" : ""
        return leading + output.joined(separator: "/") + trailing
    }

    /// The canonical query: each name and value decoded from the wire and
    /// re-encoded with SigV4's rules, pairs sorted by encoded name then value,
    /// a missing `=value` written as `name=`. Empty `&&` segments are dropped.
    package static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(name: String, value: String)] = []
        for parameter in query.split(separator: "&", omittingEmptySubsequences: true) {
            let name: Substring
            let value: Substring
            if let equals = parameter.firstIndex(of: "=") {
                name = parameter[..<equals]
                value = parameter[parameter.index(after: equals)...]
            } else {
                name = parameter
                value = ""
            }
            pairs.append((URIEncoding.encode(URIEncoding.decode(name)), URIEncoding.encode(URIEncoding.decode(value))))
        }
        pairs.sort { lhs, rhs in
            lhs.name == rhs.name
                ? lhs.value.utf8.lexicographicallyPrecedes(rhs.value.utf8)
                : lhs.name.utf8.lexicographicallyPrecedes(rhs.name.utf8)
        }
        return pairs.map { "\($0.name)=\($0.value)" }.joined(separator: "&")
    }

    /// The canonical header block (without its closing blank line) and the signed-header list.
    struct CanonicalHeaders {
        var text: String
        var signedHeaders: String
    }

    /// Names lower-cased, values trimmed with inner runs of whitespace collapsed
    /// to one space, repeated fields joined with `,` in order, sorted by name.
    static func canonicalHeaders(_ headers: [(String, String)]) throws(SigV4Error) -> CanonicalHeaders {
        var values: [String: [String]] = [:]
        for (name, value) in headers {
            let name = trimmingWhitespace(name).lowercased()
            guard !unsignedHeaders.contains(name) else { continue }
            values[name, default: []].append(trimmingWhitespace(value))
        }
        guard values["host"] != nil else {
            throw SigV4Error(code: .missingHost, detail: "SigV4 signs the Host header, and the request has none")
        }
        let names = values.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let text = names.map { "\($0):\(values[$0, default: []].joined(separator: ","))" }.joined(separator: "\n")
        return CanonicalHeaders(text: text, signedHeaders: names.joined(separator: ";"))
    }

    /// SigV4's "Trimall": no leading or trailing whitespace, and each inner run
    /// of ASCII whitespace (including an obs-fold line break) one space.
    static func trimmingWhitespace(_ value: String) -> String {
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in value.unicodeScalars {
            switch scalar {
            case " ", "\t", "\n", "\r", "\u{0B}", "\u{0C}":
                pendingSpace = !out.isEmpty
            default:
                if pendingSpace {
                    out.append(" ")
                    pendingSpace = false
                }
                out.append(scalar)
            }
        }
        return String(out)
    }
}
