import Foundation

/// SQL identifier quoting, for the names this library itself puts into
/// statements that cannot take parameters (`COPY`, `LISTEN`).
enum PGIdentifier {
    /// `"name"` with every `"` doubled — PostgreSQL's `quote_ident` rule, under
    /// which no name can end the identifier early. NUL is refused.
    static func quote(_ name: String) throws -> String {
        guard !name.isEmpty, !name.utf8.contains(0) else {
            throw PGError(code: .encoding, message: "an identifier must be non-empty and without NUL")
        }
        return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
