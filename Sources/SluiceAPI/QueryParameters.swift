import Foundation

/// The `application/x-www-form-urlencoded` query of a request target.
struct QueryParameters {
    private var pairs: [(String, String)] = []

    /// Parses `query` (without `?`). Text with broken percent-encoding is
    /// kept as sent, so the parameter's own validation refuses it.
    init(_ query: String?) {
        guard let query else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                let plus = text.replacingOccurrences(of: "+", with: " ")
                return plus.removingPercentEncoding ?? plus
            }
            pairs.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
    }

    /// The first value of `name`.
    subscript(name: String) -> String? { pairs.first { $0.0 == name }?.1 }
}
