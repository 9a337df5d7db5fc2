import Foundation

/// RFC 3339 times in query strings and bodies.
enum APITime {
    /// Parses `2026-11-27T18:09:32Z`, with or without fractional seconds,
    /// with `Z` or a numeric offset.
    static func parse(_ text: String) -> Date? {
        guard text.utf8.count <= 40 else { return nil }
        if let date = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle())
    }
}
