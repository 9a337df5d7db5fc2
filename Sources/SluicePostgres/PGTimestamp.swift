public import Foundation

/// Timestamps as text. Out: RFC 3339 UTC with microseconds. In: PostgreSQL's
/// ISO output (`DateStyle=ISO`, which every connection sets, with
/// `TimeZone=UTC`): `2024-05-01 12:00:00.5+00`, `timestamp` without the
/// offset (read as UTC), and `date` (midnight UTC).
///
/// Civil-date arithmetic after Howard Hinnant's `days_from_civil` /
/// `civil_from_days`, so that no `DateFormatter` (slow, locale-bound) is needed.
enum PGTimestamp {
    /// `YYYY-MM-DDTHH:MM:SS.ffffffZ`; years outside 1...9999 are refused.
    static func format(_ date: Date) throws -> String {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(27)
        try append(date, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// As ``format(_:)``, appended to `buffer` as UTF-8 without building strings.
    static func append(_ date: Date, to buffer: inout [UInt8]) throws {
        let (seconds, micros) = try split(date)
        let days = floorDivide(seconds, 86_400)
        let secondOfDay = seconds - days * 86_400
        let (year, month, day) = civil(fromDays: days)
        func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                buffer.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4)
        buffer.append(UInt8(ascii: "-"))
        digits(month, 2)
        buffer.append(UInt8(ascii: "-"))
        digits(day, 2)
        buffer.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2)
        buffer.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        buffer.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        buffer.append(UInt8(ascii: "."))
        digits(micros, 6)
        buffer.append(UInt8(ascii: "Z"))
    }

    /// `timestamptz`'s binary form: microseconds since 2000-01-01 00:00:00
    /// UTC, rounded as ``format(_:)`` rounds them; years outside 1...9999
    /// are refused.
    static func microsecondsSince2000(_ date: Date) throws -> Int64 {
        let (seconds, micros) = try split(date)
        return (seconds - 946_684_800) * 1_000_000 + micros
    }

    /// Whole seconds since 1970 and microseconds (0..<1,000,000), rounded
    /// to the nearest microsecond; throws for years outside 1...9999 (the
    /// seconds of 0001-01-01 and of 10000-01-01) and for non-finite dates.
    static func split(_ date: Date) throws -> (seconds: Int64, micros: Int64) {
        let t = date.timeIntervalSince1970
        guard t.isFinite, t > -1e15, t < 1e15 else { throw PGError(code: .encoding, message: "date is not finite or out of range") }
        var seconds = Int64(t.rounded(.down))
        var micros = Int64(((t - Double(seconds)) * 1_000_000).rounded())
        if micros >= 1_000_000 {
            seconds += 1
            micros -= 1_000_000
        }
        guard seconds >= -62_135_596_800, seconds < 253_402_300_800 else {
            let year = civil(fromDays: floorDivide(seconds, 86_400)).0
            throw PGError(code: .encoding, message: "year \(year) is outside 1...9999")
        }
        return (seconds, micros)
    }

    /// Parses ISO output of `timestamptz`, `timestamp` or `date`; `nil` if malformed.
    static func parse(_ text: String) -> Date? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.number(minDigits: 4, maxDigits: 6), scanner.skip("-"),
              let month = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip("-"),
              let day = scanner.number(minDigits: 2, maxDigits: 2),
              (1...12).contains(month), (1...31).contains(day) else { return nil }
        var seconds = days(fromCivil: year, month, day) * 86_400
        var fraction = 0.0
        if scanner.skip(" ") || scanner.skip("T") {
            guard let hour = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip(":"),
                  let minute = scanner.number(minDigits: 2, maxDigits: 2), scanner.skip(":"),
                  let second = scanner.number(minDigits: 2, maxDigits: 2),
                  hour <= 24, minute < 60, second <= 60 else { return nil }
            seconds += hour * 3600 + minute * 60 + second
            if scanner.skip(".") {
                var scale = 0.1
                while let digit = scanner.digit() {
                    fraction += Double(digit) * scale
                    scale /= 10
                }
            }
            if let sign = scanner.sign() {
                guard let offsetHours = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                var offset = offsetHours * 3600
                if scanner.skip(":") {
                    guard let offsetMinutes = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                    offset += offsetMinutes * 60
                    if scanner.skip(":") {
                        guard let offsetSeconds = scanner.number(minDigits: 2, maxDigits: 2) else { return nil }
                        offset += offsetSeconds
                    }
                }
                seconds -= sign * offset
            }
        }
        guard scanner.atEnd else { return nil }  // " BC", "infinity" and the like
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : (a - b + 1) / b
    }

    private static func days(fromCivil year: Int64, _ month: Int64, _ day: Int64) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    private static func civil(fromDays days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// A cursor over ASCII bytes.
    private struct Scanner {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { index == bytes.count }

        mutating func skip(_ character: Unicode.Scalar) -> Bool {
            guard index < bytes.count, bytes[index] == UInt8(ascii: character) else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int64? {
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int64(bytes[index] - UInt8(ascii: "0"))
        }

        mutating func number(minDigits: Int, maxDigits: Int) -> Int64? {
            var value: Int64 = 0
            var count = 0
            while count < maxDigits, let digit = digit() {
                value = value * 10 + digit
                count += 1
            }
            return count >= minDigits ? value : nil
        }

        mutating func sign() -> Int64? {
            if skip("+") { return 1 }
            if skip("-") { return -1 }
            return nil
        }
    }
}

extension Date {
    /// The UTC day (days since 1970-01-01) of this instant as PostgreSQL
    /// stores it: rounded to the microsecond first, so the last half
    /// microsecond of a day belongs to the next one. `nil` for an instant
    /// that cannot be stored (not finite, a year outside 1...9999).
    public var pgUTCDay: Int? {
        guard let (seconds, _) = try? PGTimestamp.split(self) else { return nil }
        return Int(PGTimestamp.floorDivide(seconds, 86_400))
    }
}
