/// Character classes of RFC 9110 §5.6 and RFC 9112, as lookup tables.
enum HTTPSyntax {
    static let cr: UInt8 = 0x0D
    static let lf: UInt8 = 0x0A
    static let sp: UInt8 = 0x20
    static let htab: UInt8 = 0x09
    static let colon: UInt8 = 0x3A

    /// tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
    /// "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA  (RFC 9110 §5.6.2)
    static let tchar: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = true }
        for c in "!#$%&'*+-.^_`|~".utf8 { table[Int(c)] = true }
        return table
    }()

    @inline(__always) static func isTChar(_ b: UInt8) -> Bool { tchar[Int(b)] }

    /// field-vchar / SP / HTAB: a byte allowed inside a field value
    /// (RFC 9110 §5.5; obs-text 0x80–0xFF is allowed, CTLs and DEL are not).
    @inline(__always) static func isFieldValueByte(_ b: UInt8) -> Bool {
        b == htab || (b >= 0x20 && b != 0x7F)
    }

    /// A byte allowed in a request-target: visible ASCII (RFC 3986 allows no
    /// raw spaces, controls or non-ASCII bytes).
    @inline(__always) static func isTargetByte(_ b: UInt8) -> Bool { b > 0x20 && b < 0x7F }

    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    @inline(__always) static func hexValue(_ b: UInt8) -> Int? {
        switch b {
        case 0x30...0x39: Int(b - 0x30)
        case 0x41...0x46: Int(b - 0x41 + 10)
        case 0x61...0x66: Int(b - 0x61 + 10)
        default: nil
        }
    }

    /// A byte allowed in a Host value: the characters of uri-host and port
    /// (RFC 3986 §3.2.2: unreserved, pct-encoded, sub-delims, ":" and IP-literal brackets).
    static let hostByte: [Bool] = {
        var table = [Bool](repeating: false, count: 256)
        for b in UInt8(ascii: "0")...UInt8(ascii: "9") { table[Int(b)] = true }
        for b in UInt8(ascii: "a")...UInt8(ascii: "z") { table[Int(b)] = true }
        for b in UInt8(ascii: "A")...UInt8(ascii: "Z") { table[Int(b)] = true }
        for c in "-._~%!$&'()*+,;=:[]".utf8 { table[Int(c)] = true }
        return table
    }()

    /// Whether `text` equals `lowercased` (lowercase ASCII) ignoring ASCII
    /// case: byte by byte, no allocation.
    static func equalsIgnoringCase(_ text: String, _ lowercased: StaticString) -> Bool {
        equalsIgnoringCase(text.utf8, lowercased)
    }

    /// The same over bytes.
    static func equalsIgnoringCase(_ bytes: some Collection<UInt8>, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        return lowercased.withUTF8Buffer { expected in
            zip(bytes, expected).allSatisfy { byte, wanted in byte == wanted || (byte | 0x20 == wanted && wanted >= 0x61 && wanted <= 0x7A) }
        }
    }

    /// Decodes bytes as text: ASCII directly, anything else as ISO-8859-1 so
    /// that obs-text survives unchanged byte for byte (RFC 9110 §5.5).
    static func string(_ bytes: ArraySlice<UInt8>) -> String {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        for b in bytes { scalars.append(Unicode.Scalar(b)) }
        return String(scalars)
    }
}
