public import Foundation

extension UUID {
    /// The lower-case canonical form the API and the database use
    /// (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`): `uuidString.lowercased()`,
    /// written directly (Foundation formats through `sprintf` on Linux, and
    /// every resource of every list answer has at least one id).
    public var lowercasedString: String {
        String(unsafeUninitializedCapacity: 36) { writeHex(into: $0, digits: "0123456789abcdef") }
    }

    /// Foundation's `uuidString` (upper case), written the same way.
    public var uppercasedString: String {
        String(unsafeUninitializedCapacity: 36) { writeHex(into: $0, digits: "0123456789ABCDEF") }
    }

    /// Appends the UTF-8 bytes of ``uppercasedString`` to `bytes`, without
    /// making the `String` (the gateway's journal lines are bytes).
    public func appendUppercased(to bytes: inout [UInt8]) {
        let start = bytes.count
        bytes.append(contentsOf: repeatElement(0, count: 36))
        bytes.withUnsafeMutableBufferPointer { buffer in
            _ = writeHex(into: UnsafeMutableBufferPointer(rebasing: buffer[start...]), digits: "0123456789ABCDEF")
        }
    }

    /// Writes the 36 bytes of the canonical form into `out`; the count.
    private func writeHex(into out: UnsafeMutableBufferPointer<UInt8>, digits: StaticString) -> Int {
        withUnsafeBytes(of: uuid) { raw in
            digits.withUTF8Buffer { hex in
                var position = 0
                for (index, byte) in raw.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        out[position] = UInt8(ascii: "-")
                        position += 1
                    }
                    out[position] = hex[Int(byte >> 4)]
                    out[position + 1] = hex[Int(byte & 0x0F)]
                    position += 2
                }
                return position
            }
        }
    }
}
