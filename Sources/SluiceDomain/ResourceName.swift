/// Resource names (DESIGN.md §3): `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`,
/// the DNS label rule, so names can appear in hosts, tags and paths.
public enum ResourceName {
    /// The rule as a sentence, for validation messages.
    public static let rule = "must be 1-63 lowercase letters, digits or '-', starting and ending with a letter or digit"

    /// Whether `name` is a valid resource name.
    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (1...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(b) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(b) }
        guard let first = bytes.first, let last = bytes.last, alnum(first), alnum(last) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: "-") }
    }
}
