/// `application/x-www-form-urlencoded` bodies of the Query protocol (EC2,
/// STS), encoded as botocore encodes them (Python's `urlencode`): RFC 3986
/// unreserved characters kept, a space as `+`, every other byte `%XX`.
/// AWS accepts `%20` as well, but moto re-encodes the form it parsed before
/// checking the payload hash, so only this form passes its signature check.
package enum QueryEncoding {
    /// `name=value&...` in the given order.
    package static func form(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(encode($0.0))=\(encode($0.1))" }.joined(separator: "&")
    }

    /// One name or value.
    package static func encode(_ text: String) -> String {
        text.split(separator: " ", omittingEmptySubsequences: false)
            .map { URIEncoding.encode($0.utf8) }
            .joined(separator: "+")
    }
}
