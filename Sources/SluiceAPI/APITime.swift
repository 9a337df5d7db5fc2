import Foundation

/// RFC 3339 times in query strings and bodies.
enum APITime {
    /// Parses an RFC 3339 date-time: `2026-11-27T18:09:32Z`, with or without
    /// fractional seconds, with `Z` or a numeric offset. Only RFC 3339:
    /// Foundation's ISO 8601 parser, asked before, moved dates that do not
    /// exist (`2026-02-30` became March 2) and took `T24:00:00` and offsets
    /// without minutes.
    static func parse(_ text: String) -> Date? {
        guard text.utf8.count <= 40 else { return nil }
        return rfc3339(text)
    }

    /// RFC 3339 §5.6 `YYYY-MM-DDTHH:MM:SS[.digits](Z|±HH:MM)` (`T` and
    /// `Z` in either case, §5.6's note), read without Foundation (whose
    /// ISO 8601 parser cost microseconds per item of an ingest batch) and
    /// checked field by field (days of the month, leap years).
    static func rfc3339(_ text: String) -> Date? {
        switch text.utf8.withContiguousStorageIfAvailable({ rfc3339(bytes: $0) }) {
        case .some(let date): return date
        case .none: return rfc3339(bytes: Array(text.utf8))
        }
    }

    private static func rfc3339<Bytes: RandomAccessCollection<UInt8>>(bytes: Bytes) -> Date? where Bytes.Index == Int {
        let count = bytes.count
        guard count >= 20, count <= 40 else { return nil }
        let base = bytes.startIndex
        func digits(_ offset: Int, _ width: Int) -> Int? {
            var value = 0
            for i in offset..<(offset + width) {
                let byte = bytes[base + i]
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ offset: Int) -> UInt8 { bytes[base + offset] }
        guard let year = digits(0, 4), byte(4) == UInt8(ascii: "-"), let month = digits(5, 2), byte(7) == UInt8(ascii: "-"),
              let day = digits(8, 2), byte(10) | 0x20 == UInt8(ascii: "t"), let hour = digits(11, 2), byte(13) == UInt8(ascii: ":"),
              let minute = digits(14, 2), byte(16) == UInt8(ascii: ":"), let second = digits(17, 2),
              year >= 1, (1...12).contains(month), hour < 24, minute < 60, second < 60 else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...monthDays[month - 1]).contains(day) else { return nil }
        var offset = 19
        var fraction = 0.0
        if byte(offset) == UInt8(ascii: ".") {
            offset += 1
            let start = offset
            var nanos = 0
            while offset < count, byte(offset) >= UInt8(ascii: "0"), byte(offset) <= UInt8(ascii: "9") {
                // RFC 3339 allows any number of digits; past nanoseconds they are dropped.
                if offset - start < 9 { nanos = nanos * 10 + Int(byte(offset) - UInt8(ascii: "0")) }
                offset += 1
            }
            let width = min(offset - start, 9)
            guard width >= 1 else { return nil }
            var scale = 1.0
            for _ in 0..<width { scale *= 10 }
            fraction = Double(nanos) / scale
        }
        guard offset < count else { return nil }
        var zone = 0
        switch byte(offset) {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard offset + 1 == count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard offset + 6 == count, let hours = digits(offset + 1, 2), byte(offset + 3) == UInt8(ascii: ":"),
                  let minutes = digits(offset + 4, 2), hours < 24, minutes < 60 else { return nil }
            zone = (hours * 3600 + minutes * 60) * (byte(offset) == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
        let y = month <= 2 ? year - 1 : year
        let era = y / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let days = era * 146_097 + yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear - 719_468
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - zone
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }
}
