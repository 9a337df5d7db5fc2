import Foundation

/// PostgreSQL's text form of `uuid` (`a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11`),
/// read straight from the bytes: Foundation's `UUID(uuidString:)` goes
/// through `sscanf` on Linux and cost a few per cent of every list request.
/// Accepts the canonical 8-4-4-4-12 form in either case, as Foundation does.
enum PGUUIDText {
    static func parse<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> UUID? {
        guard bytes.count == 36 else { return nil }
        var raw: [UInt8] = []
        raw.reserveCapacity(16)
        var high: UInt8?
        for (offset, byte) in bytes.enumerated() {
            if offset == 8 || offset == 13 || offset == 18 || offset == 23 {
                guard byte == UInt8(ascii: "-") else { return nil }
                continue
            }
            guard let nibble = PGBytea.nibble(byte) else { return nil }
            if let first = high {
                raw.append(first << 4 | nibble)
                high = nil
            } else {
                high = nibble
            }
        }
        guard raw.count == 16 else { return nil }
        return UUID(uuid: (raw[0], raw[1], raw[2], raw[3], raw[4], raw[5], raw[6], raw[7],
                           raw[8], raw[9], raw[10], raw[11], raw[12], raw[13], raw[14], raw[15]))
    }
}
