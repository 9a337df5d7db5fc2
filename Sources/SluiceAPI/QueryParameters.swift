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
                // Byte work only: Foundation's string search bridges through NSString on Linux.
                guard text.utf8.contains(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "%") }) else { return String(text) }
                let plus = String(decoding: text.utf8.map { $0 == UInt8(ascii: "+") ? UInt8(ascii: " ") : $0 }, as: UTF8.self)
                return plus.removingPercentEncoding ?? plus
            }
            pairs.append((decode(parts[0]), parts.count > 1 ? decode(parts[1]) : ""))
        }
    }

    /// The first value of `name`.
    subscript(name: String) -> String? { pairs.first { $0.0 == name }?.1 }
}
