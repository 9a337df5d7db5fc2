/// Encodes rows for `COPY ... FROM STDIN` in PostgreSQL's text format
/// ("COPY → File Formats → Text Format" in the manual): fields separated by
/// a tab, rows ended by a newline, `NULL` written `\N`, and a backslash,
/// tab, newline or carriage return inside a value escaped with a backslash.
public enum PGCopyText {
    /// Appends one row to `buffer`. Throws ``PGError/Code/encoding`` for a
    /// value containing NUL, which PostgreSQL text cannot hold.
    public static func appendRow(_ fields: [String?], to buffer: inout [UInt8]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: "\t")) }
            guard let field else {
                buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "N")])
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case 0: throw PGError(code: .encoding, message: "a COPY value contains NUL")
                case UInt8(ascii: "\\"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
                case UInt8(ascii: "\t"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
                case UInt8(ascii: "\n"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
                case UInt8(ascii: "\r"): buffer.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
    }

    /// One row as COPY text, newline included.
    public static func encodeRow(_ fields: [String?]) throws -> [UInt8] {
        var buffer: [UInt8] = []
        try appendRow(fields, to: &buffer)
        return buffer
    }
}
