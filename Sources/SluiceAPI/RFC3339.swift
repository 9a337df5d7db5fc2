import Foundation

/// RFC 3339 UTC times with milliseconds, `2026-11-27T18:09:32.123Z`, as
/// the API writes them: the same text as Foundation's
/// `Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)`
/// for the years 1–9999 (proleptic Gregorian; Foundation switches to the
/// Julian calendar before 1582, which no stored time reaches), without its
/// calendar machinery. The time is first rounded to the microsecond (the
/// resolution of PostgreSQL's `timestamptz`, so a stored `.123` is not
/// written as `.122` by binary floating point), then truncated to the
/// millisecond as Foundation does.
enum RFC3339 {
    static func milliseconds(_ date: Date) -> String {
        // From the reference date (2001), which `Date` stores: fewer bits lost
        // than through `timeIntervalSince1970`.
        let sinceReference = (date.timeIntervalSinceReferenceDate * 1_000_000).rounded()
        // Outside years 1...9999 (and for NaN), Foundation's own text.
        guard sinceReference.isFinite, sinceReference >= -63_113_904_000_000_000, sinceReference < 252_423_993_600_000_000 else {
            return date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
        }
        let micros = Int64(sinceReference) + 978_307_200_000_000
        let totalMillis = micros.dividedRoundingDown(by: 1000)
        let millis = Int(totalMillis - totalMillis.dividedRoundingDown(by: 1000) * 1000)
        let seconds = totalMillis.dividedRoundingDown(by: 1000)
        let days = seconds.dividedRoundingDown(by: 86_400)
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(daysSinceEpoch: days)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func digits(_ value: Int, _ count: Int) {
            var divisor = 1
            for _ in 1..<count { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                out.append(UInt8(ascii: "0") + UInt8(rest / divisor))
                rest %= divisor
                divisor /= 10
            }
        }
        digits(year, 4); out.append(UInt8(ascii: "-"))
        digits(month, 2); out.append(UInt8(ascii: "-"))
        digits(day, 2); out.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3600, 2); out.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2); out.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2); out.append(UInt8(ascii: "."))
        digits(millis, 3); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    /// Year, month and day of the proleptic Gregorian calendar for a count
    /// of days since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func civil(daysSinceEpoch days: Int64) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = z.dividedRoundingDown(by: 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}

extension Int64 {
    /// Division rounding towards negative infinity.
    fileprivate func dividedRoundingDown(by divisor: Int64) -> Int64 {
        let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
        return remainder < 0 ? quotient - 1 : quotient
    }
}
