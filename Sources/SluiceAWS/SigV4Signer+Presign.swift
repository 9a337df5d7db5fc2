public import Foundation

extension SigV4Signer {
    /// The query parameters that carry a presigned signature; stale ones are
    /// removed before presigning again.
    static let presignParameters: Set<String> = [
        "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires",
        "X-Amz-SignedHeaders", "X-Amz-Security-Token", "X-Amz-Signature",
    ]

    /// Presigns `request` in its query string ("query-string authentication").
    ///
    /// Appends `X-Amz-Algorithm`, `X-Amz-Credential`, `X-Amz-Date`,
    /// `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Security-Token` (session
    /// credentials) and `X-Amz-Signature` to `request.query`. The headers of
    /// `request` (at least `Host`) are signed and must be sent with the URL.
    ///
    /// - Parameters:
    ///   - expires: how long the URL is valid, whole seconds in 1 s...7 days.
    ///   - date: the signing time.
    ///   - payload: default `nil`: `UNSIGNED-PAYLOAD` for S3 (AWS: "you don't know
    ///     anything about the payload"), the empty-body hash for other services.
    /// - Throws: ``SigV4Error`` `.invalidExpiration`, `.missingHost`, `.cryptoFailed`.
    @discardableResult
    public func presign(
        _ request: inout AWSRequest,
        expires: Duration,
        date: Date,
        payload: Payload? = nil
    ) throws(SigV4Error) -> Steps {
        let (seconds, attoseconds) = expires.components
        guard attoseconds == 0, seconds >= 1, expires <= Self.maximumExpiry else {
            throw SigV4Error(code: .invalidExpiration, detail: "expires must be whole seconds in 1...604800, got \(expires)")
        }
        let payloadHash = try (payload ?? (service == "s3" ? .unsigned : .empty)).canonicalHash()
        let amzDate = AMZDate(date)
        request.removeHeader("Authorization")
        let headers = try Self.canonicalHeaders(request.headers)

        var parameters = request.query.split(separator: "&", omittingEmptySubsequences: true).filter { parameter in
            let name = parameter.prefix { $0 != "=" }
            return !Self.presignParameters.contains(String(decoding: URIEncoding.decode(name), as: UTF8.self))
        }.map(String.init)
        func append(_ name: String, _ value: String) {
            parameters.append("\(name)=\(URIEncoding.encode(value.utf8))")
        }
        append("X-Amz-Algorithm", Self.algorithm)
        append("X-Amz-Credential", "\(credential.accessKeyID)/\(credentialScope(amzDate))")
        append("X-Amz-Date", amzDate.timestamp)
        append("X-Amz-Expires", String(seconds))
        append("X-Amz-SignedHeaders", headers.signedHeaders)
        if let token = credential.sessionToken, signsSessionToken {
            append("X-Amz-Security-Token", token)
        }
        request.query = parameters.joined(separator: "&")

        let canonical = canonicalRequest(request, headers: headers, payloadHash: payloadHash)
        let steps = try steps(for: canonical, date: amzDate)
        if let token = credential.sessionToken, !signsSessionToken {
            append("X-Amz-Security-Token", token)
        }
        append("X-Amz-Signature", steps.signature)
        request.query = parameters.joined(separator: "&")
        return steps
    }

    /// A presigned URL for `method` on `url`, valid for `expires` from `date`.
    ///
    /// `headers` (default none) are signed besides `Host`, and whoever uses the
    /// URL must send them. See ``presign(_:expires:date:payload:)``.
    ///
    /// - Throws: ``SigV4Error`` `.missingHost`, `.invalidURL`, `.invalidExpiration`, `.cryptoFailed`.
    public func presign(
        url: URL,
        method: String = "GET",
        headers: [(String, String)] = [],
        expires: Duration,
        date: Date,
        payload: Payload? = nil
    ) throws(SigV4Error) -> URL {
        var request = try AWSRequest(method: method, url: url, headers: headers)
        try presign(&request, expires: expires, date: date, payload: payload)
        guard var components = URLComponents(url: url, resolvingAgainstBaseURL: false) else {
            throw SigV4Error(code: .invalidURL, detail: "cannot split \(url.absoluteString)")
        }
        // Only unreserved characters, `%XX`, `=` and `&`, plus the URL's own valid query.
        components.percentEncodedQuery = request.query
        guard let presigned = components.url else {
            throw SigV4Error(code: .invalidURL, detail: "cannot rebuild \(url.absoluteString)")
        }
        return presigned
    }
}
