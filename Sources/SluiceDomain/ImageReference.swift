/// A container image in ECR: `<repository>:<tag>` (DESIGN.md §4).
public struct ImageReference: Sendable, Hashable, CustomStringConvertible {
    /// The repository name, for example `team/fraud-model`.
    public var repository: String
    /// The tag, for example `v1.4.2`.
    public var tag: String

    /// Parses `text`; `nil` unless it is `repository:tag` with ECR's rules
    /// for both parts.
    public init?(_ text: String) {
        guard let colon = text.lastIndex(of: ":") else { return nil }
        let repository = String(text[..<colon])
        let tag = String(text[text.index(after: colon)...])
        guard Self.isRepository(repository), Self.isTag(tag) else { return nil }
        self.repository = repository
        self.tag = tag
    }

    /// The rule as a sentence, for validation messages.
    public static let rule = "must be '<ecr repository>:<tag>', for example 'models/churn:v3'"

    /// ECR repository names: lowercase components separated by `/`, each
    /// letters and digits joined by single `.`, `_` or `-`; 2-256 characters.
    static func isRepository(_ name: String) -> Bool {
        guard (2...256).contains(name.utf8.count) else { return false }
        return name.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { component in
            guard let first = component.utf8.first, let last = component.utf8.last, isAlnum(first), isAlnum(last) else { return false }
            var previousSeparator = false
            for byte in component.utf8 {
                let separator = byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
                if separator && previousSeparator { return false }
                if !separator && !isAlnum(byte) { return false }
                previousSeparator = separator
            }
            return true
        }
    }

    /// OCI tags: `[A-Za-z0-9_][A-Za-z0-9._-]{0,127}`.
    static func isTag(_ tag: String) -> Bool {
        let bytes = Array(tag.utf8)
        guard (1...128).contains(bytes.count), let first = bytes.first else { return false }
        func word(_ b: UInt8) -> Bool { isAlnum(b) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(b) || b == UInt8(ascii: "_") }
        return word(first) && bytes.allSatisfy { word($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    private static func isAlnum(_ b: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b)
    }

    public var description: String { "\(repository):\(tag)" }
}
