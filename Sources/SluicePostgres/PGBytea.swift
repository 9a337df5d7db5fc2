/// `bytea` in its default text output form, hex (`\x0aff`): see "8.4.1.
/// bytea Hex Format". Connections set `bytea_output=hex`, so the legacy
/// escape format never arrives.
enum PGBytea {
    /// The bytes of a `bytea` cell.
    static func decode(_ cell: PGCell) throws -> [UInt8] {
        let text = try cell.requireBytes()
        guard text.count >= 2, text[text.startIndex] == UInt8(ascii: "\\"),
              text[text.startIndex + 1] == UInt8(ascii: "x"), text.count % 2 == 0 else {
            throw cell.decodingError("not bytea hex output")
        }
        var out: [UInt8] = []
        out.reserveCapacity((text.count - 2) / 2)
        var index = text.startIndex + 2
        while index < text.endIndex {
            guard let high = nibble(text[index]), let low = nibble(text[index + 1]) else {
                throw cell.decodingError("not bytea hex output")
            }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    /// The value of one hexadecimal digit, either case.
    static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
