/// `application/x-www-form-urlencoded` bodies of the Query protocol (EC2,
/// STS): names and values percent-encoded as SigV4 encodes them (RFC 3986
/// unreserved characters kept, everything else `%XX`), which every Query
/// service accepts.
package enum QueryEncoding {
    /// `name=value&...` in the given order.
    package static func form(_ parameters: [(String, String)]) -> String {
        parameters.map { "\(URIEncoding.encode($0.0.utf8))=\(URIEncoding.encode($0.1.utf8))" }.joined(separator: "&")
    }
}
