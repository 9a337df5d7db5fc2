import Foundation

/// A UUID's canonical 36-character text, made without Foundation's
/// formatter and a second pass to lowercase it (twice per request on the
/// predict path otherwise).
enum UUIDText {
    private static let lower: [UInt8] = Array("0123456789abcdef".utf8)
    private static let upper: [UInt8] = Array("0123456789ABCDEF".utf8)

    /// `8-4-4-4-12` hex digits, lowercase unless `uppercase`.
    static func text(_ uuid: UUID, uppercase: Bool = false) -> String {
        let digits = uppercase ? upper : lower
        let bytes = uuid.uuid
        return withUnsafeBytes(of: bytes) { raw in
            String(unsafeUninitializedCapacity: 36) { buffer in
                var index = 0
                for (offset, byte) in raw.enumerated() {
                    if offset == 4 || offset == 6 || offset == 8 || offset == 10 {
                        buffer[index] = UInt8(ascii: "-")
                        index += 1
                    }
                    buffer[index] = digits[Int(byte >> 4)]
                    buffer[index + 1] = digits[Int(byte & 0xF)]
                    index += 2
                }
                return index
            }
        }
    }
}
