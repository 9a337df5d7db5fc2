/// PostgreSQL's array literal text form, one-dimensional: `{a,"b c",NULL}`.
///
/// See "8.15.6. Array Input and Output Syntax" in the PostgreSQL manual: the
/// delimiter is `,` for every type used here, elements may be double-quoted
/// with `\` escaping, and an unquoted `NULL` is a null element.
enum PGArrayLiteral {
    /// `{"e1","e2"}`: every element quoted, `"` and `\` escaped with `\`.
    static func encode(_ elements: [String]) -> String {
        var out = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { out.append(",") }
            out.append("\"")
            for character in element.unicodeScalars {
                if character == "\"" || character == "\\" { out.append("\\") }
                out.unicodeScalars.append(character)
            }
            out.append("\"")
        }
        out.append("}")
        return out
    }

    /// The elements of a one-dimensional literal; `nil` for `NULL`.
    static func decode(_ text: String) throws -> [String?] {
        let scalars = Array(text.unicodeScalars)
        guard scalars.first == "{", scalars.last == "}" else {
            throw PGError(code: .decoding, message: "not a one-dimensional array literal")
        }
        var elements: [String?] = []
        var index = 1
        let end = scalars.count - 1
        if index == end { return [] }
        while index <= end {
            var element = String.UnicodeScalarView()
            var quoted = false
            if scalars[index] == "\"" {
                quoted = true
                index += 1
                while index < end, scalars[index] != "\"" {
                    if scalars[index] == "\\" { index += 1 }
                    guard index < end else { break }
                    element.append(scalars[index])
                    index += 1
                }
                guard index < end, scalars[index] == "\"" else {
                    throw PGError(code: .decoding, message: "unterminated quoted array element")
                }
                index += 1
            } else {
                while index < end, scalars[index] != "," {
                    if scalars[index] == "{" {
                        throw PGError(code: .decoding, message: "multi-dimensional arrays are not supported")
                    }
                    if scalars[index] == "\\" { index += 1 }
                    guard index < end else { break }
                    element.append(scalars[index])
                    index += 1
                }
            }
            let string = String(element)
            elements.append(!quoted && string == "NULL" ? nil : string)
            guard index == end || scalars[index] == "," else {
                throw PGError(code: .decoding, message: "malformed array literal")
            }
            index += 1
        }
        return elements
    }
}
