import Foundation
import SluiceDomain

/// Builds journal lines (JSON) straight into bytes: the encoder used to
/// build a `String` through interpolation and copy it out, 4 % of the
/// gateway's CPU with two stealth deployments. Writes exactly what that
/// encoder wrote, numbers as interpolation prints them and strings escaped as
/// its `quoted` did (RFC 8259 §7); JournalEncodingTests keeps that encoder
/// as the reference and compares bytes.
struct JournalLineWriter: TextOutputStream {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Literal JSON text.
    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// `id` as Foundation's `uuidString` (upper case).
    mutating func append(_ id: UUID) { id.appendUppercased(to: &bytes) }

    /// `number` as `"\(number)"` prints it (interpolation is `write(to:)`,
    /// which unlike `description` also prints a NaN's sign: `-nan`).
    mutating func append(_ number: Double) { number.write(to: &self) }

    /// `number` as `"\(number)"` prints it.
    mutating func append(_ number: Int) {
        if number < 0 { bytes.append(UInt8(ascii: "-")) }
        var magnitude = number.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes, enough for 20 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            repeat {
                count += 1
                buffer[buffer.count - count] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            bytes.append(contentsOf: buffer[(buffer.count - count)...])
        }
    }

    /// `text` as a JSON string: `"`, `\` and control characters escaped
    /// (`\n`, `\r`, `\t`, else `\u00XX` in lower case), the rest as UTF-8.
    /// Byte by byte is the same as scalar by scalar: every byte of a
    /// multi-byte UTF-8 sequence is 0x80 or above.
    mutating func append(quoted text: String) {
        bytes.append(UInt8(ascii: "\""))
        if text.utf8.withContiguousStorageIfAvailable({ appendEscaped($0) }) == nil {
            Array(text.utf8).withUnsafeBufferPointer { appendEscaped($0) }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        var run = 0
        for (index, byte) in utf8.enumerated() where byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") {
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
            run = index + 1
            switch byte {
            case UInt8(ascii: "\""): append(#"\""#)
            case UInt8(ascii: "\\"): append(#"\\"#)
            case UInt8(ascii: "\n"): append(#"\n"#)
            case UInt8(ascii: "\r"): append(#"\r"#)
            case UInt8(ascii: "\t"): append(#"\t"#)
            default:
                append(#"\u00"#)
                bytes.append(Self.hex[Int(byte >> 4)])
                bytes.append(Self.hex[Int(byte & 0x0F)])
            }
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run...]))
    }

    private static let hex: [UInt8] = Array("0123456789abcdef".utf8)

    // TextOutputStream, for `Double.write(to:)`. The standard library hands
    // a number's digits to `_writeASCII` from a stack buffer; without it
    // (the default) they arrive as a `String`, the same text, only slower.
    mutating func write(_ string: String) { bytes.append(contentsOf: string.utf8) }

    mutating func _writeASCII(_ buffer: UnsafeBufferPointer<UInt8>) { bytes.append(contentsOf: buffer) }
}
