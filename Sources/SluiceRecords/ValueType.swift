/// The type a column's values are inferred to have (the quality report's
/// `type`). Each value is classified on its text, nothing trimmed:
///
/// | type | text |
/// |---|---|
/// | `integer` | `[+-]?[0-9]+` that fits in 64 bits |
/// | `decimal` | `[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?` (and longer integers) |
/// | `boolean` | `true` or `false`, any case |
/// | `date` | `YYYY-MM-DD`, a real calendar day |
/// | `timestamp` | a date, `T` or space, `HH:MM:SS`, optional `.fraction`, optional `Z` or `±HH:MM` / `±HHMM` |
/// | `string` | anything else |
///
/// A column's type is the narrowest that all its non-empty values fit:
/// integers alone are `integer`; integers and decimals `decimal`; dates and
/// timestamps `timestamp`; anything mixed (or no values at all) `string`.
/// In JSON Lines a number is `integer`/`decimal`, `true`/`false` is
/// `boolean`, a string is classified on its text but never as a number or
/// boolean, and an array or object is a `string`.
public enum ValueType: String, Sendable, Equatable, CaseIterable {
    case integer, decimal, boolean, date, timestamp, string

    /// The type of one value's text, with its number or instant when it has one.
    public static func classify(_ text: UnsafeRawBufferPointer, numeric: Bool = true) -> (ValueType, Double?) {
        if numeric {
            if let integer = parseInteger(text) { return (.integer, Double(integer)) }
            if isDecimal(text) {
                return (.decimal, Double(String(decoding: text, as: UTF8.self)))
            }
            if isBoolean(text) { return (.boolean, nil) }
        }
        if let instant = CivilTime.parse(text) { return (instant.hasTime ? .timestamp : .date, instant.seconds) }
        return (.string, nil)
    }

    static func parseInteger(_ text: UnsafeRawBufferPointer) -> Int64? {
        var index = 0
        var negative = false
        if let first = text.first, first == UInt8(ascii: "+") || first == UInt8(ascii: "-") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        guard index < text.count else { return nil }
        var value: Int64 = 0
        while index < text.count {
            let digit = text[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative
                ? times.subtractingReportingOverflow(Int64(digit)) : times.addingReportingOverflow(Int64(digit))
            if overflow1 || overflow2 { return nil }
            value = next
            index += 1
        }
        return value
    }

    static func isDecimal(_ text: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        func digits() -> Int {
            let start = index
            while index < text.count, text[index] &- UInt8(ascii: "0") < 10 { index += 1 }
            return index - start
        }
        if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
        let whole = digits()
        var fraction = 0
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            fraction = digits()
        }
        guard whole + fraction > 0 else { return false }
        if index < text.count, text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E") {
            index += 1
            if index < text.count, text[index] == UInt8(ascii: "+") || text[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == text.count
    }

    static func isBoolean(_ text: UnsafeRawBufferPointer) -> Bool {
        guard text.count == 4 || text.count == 5 else { return false }
        let lower = text.map { $0 | 0x20 }
        return lower.elementsEqual("true".utf8) || lower.elementsEqual("false".utf8)
    }
}

/// A calendar date or timestamp in ISO 8601 / RFC 3339 form, as seconds
/// since 1970-01-01T00:00:00Z (a date is its midnight UTC).
struct CivilTime {
    var seconds: Double
    var hasTime: Bool

    static func parse(_ text: UnsafeRawBufferPointer) -> CivilTime? {
        guard text.count >= 10, text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"),
            let year = number(text, 0, 4), let month = number(text, 5, 2), let day = number(text, 8, 2),
            (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        if text.count == 10 { return CivilTime(seconds: Double(days) * 86_400, hasTime: false) }
        guard text.count >= 19, text[10] == UInt8(ascii: "T") || text[10] == UInt8(ascii: " "),
            text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"),
            let hour = number(text, 11, 2), let minute = number(text, 14, 2), let second = number(text, 17, 2),
            hour < 24, minute < 60, second < 61
        else { return nil }
        var seconds = Double(days) * 86_400 + Double(hour * 3600 + minute * 60 + second)
        var index = 19
        if index < text.count, text[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 0.1
            let start = index
            while index < text.count, text[index] &- UInt8(ascii: "0") < 10 {
                seconds += Double(text[index] - UInt8(ascii: "0")) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        if index < text.count {
            let sign = text[index]
            if sign == UInt8(ascii: "Z") {
                index += 1
            } else if sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
                guard let hours = number(text, index + 1, 2), hours < 24 else { return nil }
                var minutesAt = index + 3
                if minutesAt < text.count, text[minutesAt] == UInt8(ascii: ":") { minutesAt += 1 }
                guard let minutes = number(text, minutesAt, 2), minutes < 60 else { return nil }
                let offset = Double(hours * 3600 + minutes * 60)
                seconds += sign == UInt8(ascii: "+") ? -offset : offset
                index = minutesAt + 2
            } else {
                return nil
            }
        }
        guard index == text.count else { return nil }
        return CivilTime(seconds: seconds, hasTime: true)
    }

    static func number(_ text: UnsafeRawBufferPointer, _ start: Int, _ count: Int) -> Int? {
        guard start + count <= text.count else { return nil }
        var value = 0
        for index in start..<start + count {
            let digit = text[index] &- UInt8(ascii: "0")
            guard digit < 10 else { return nil }
            value = value * 10 + Int(digit)
        }
        return value
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant, `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
