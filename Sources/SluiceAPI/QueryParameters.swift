import Foundation

/// The `application/x-www-form-urlencoded` query of a request target.
struct QueryParameters {
    private var pairs: [(String, String)] = []

    /// Parses `query` (without `?`); undecodable pairs are dropped.
    init(_ query: String?) {
        guard let query else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String? {
                text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
            }
            guard let name = decode(parts[0]) else { continue }
            let value = parts.count > 1 ? decode(parts[1]) : ""
            if let value { pairs.append((name, value)) }
        }
    }

    /// The first value of `name`.
    subscript(name: String) -> String? { pairs.first { $0.0 == name }?.1 }
}
