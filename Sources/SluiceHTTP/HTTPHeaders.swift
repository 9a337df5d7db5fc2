/// An ordered list of header fields. Names compare case-insensitively
/// (RFC 9110 §5.1); order and repetition are kept as received.
public struct HTTPHeaders: Sendable, Hashable, Sequence, ExpressibleByDictionaryLiteral, CustomStringConvertible {
    /// The fields in order.
    public private(set) var fields: [(name: String, value: String)]

    /// An empty header list.
    public init() { fields = [] }

    /// Headers from name/value pairs, in order.
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The number of fields.
    public var count: Int { fields.count }

    /// The first value for `name`, or `nil`.
    public subscript(name: String) -> String? {
        for field in fields where Self.equalNames(field.name, name) { return field.value }
        return nil
    }

    /// Every value for `name`, in order.
    public func values(for name: String) -> [String] {
        fields.compactMap { Self.equalNames($0.name, name) ? $0.value : nil }
    }

    /// Whether any field is named `name`.
    public func contains(_ name: String) -> Bool {
        fields.contains { Self.equalNames($0.name, name) }
    }

    /// The comma-separated tokens of every `name` field, trimmed and lowercased
    /// (for `Connection`, `Transfer-Encoding`, `Expect`).
    public func tokens(for name: String) -> [String] {
        var tokens: [String] = []
        for value in values(for: name) {
            for part in value.split(separator: ",", omittingEmptySubsequences: false) {
                let token = part.trimmingOWS()
                if !token.isEmpty { tokens.append(token.lowercased()) }
            }
        }
        return tokens
    }

    /// Appends a field.
    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    /// Replaces every `name` field with one field, or appends it.
    public mutating func replaceOrAdd(name: String, value: String) {
        if let index = fields.firstIndex(where: { Self.equalNames($0.name, name) }) {
            fields[index].value = value
            var i = fields.count - 1
            while i > index {
                if Self.equalNames(fields[i].name, name) { fields.remove(at: i) }
                i -= 1
            }
        } else {
            fields.append((name: name, value: value))
        }
    }

    /// Removes every `name` field.
    public mutating func remove(name: String) {
        fields.removeAll { Self.equalNames($0.name, name) }
    }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        for field in fields {
            hasher.combine(field.name)
            hasher.combine(field.value)
        }
    }

    /// ASCII case-insensitive comparison without allocating.
    @inline(__always)
    static func equalNames(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                guard x.count == y.count else { return false }
                for i in 0..<x.count where x[i] != y[i] {
                    if x[i] | 0x20 != y[i] | 0x20 { return false }
                    let lower = x[i] | 0x20
                    if lower < 0x61 || lower > 0x7A { return false }
                }
                return true
            }
        }
    }
}

extension StringProtocol {
    /// The text without leading and trailing spaces and tabs (RFC 9110 OWS).
    func trimmingOWS() -> String {
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start] == " " || scalars[start] == "\t" { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            guard scalars[before] == " " || scalars[before] == "\t" else { break }
            end = before
        }
        return String(String.UnicodeScalarView(scalars[start..<end]))
    }
}
