import Foundation

/// Generates dataset objects together with the ground truth the tests hold
/// the worker to: which records are approved, and so the exact bytes the
/// R&D copy must hold. Deterministic for a seed.
struct RecordGenerator {
    static let funds = (1...10).map { "F" + String(format: "%04d", $0) }
    static let approved = ["F0001", "F0003", "F0007"]
    static let notes = [
        "plain", "with, comma", "quote \"q\" here", "multi\nline", "crlf\r\ninside", "unicode Zoë 東京 😀", "", "tab\tx",
    ]
    static let csvHeader = "fund_id,trade_id,price,trade_date,executed_at,active,note"

    /// One generated object: its bytes, and the bytes its copy must have.
    struct Object {
        var bytes: [UInt8] = []
        var expected: [UInt8] = []
        var recordsIn = 0
        var recordsOut = 0
        var rejected = 0
    }

    var random: XorShift
    var nextID = 1

    init(seed: UInt64) {
        random = XorShift(state: seed | 1)
    }

    /// xorshift64* (Vigna 2016): deterministic data for a seed.
    struct XorShift {
        var state: UInt64

        mutating func next() -> UInt64 {
            state ^= state >> 12
            state ^= state << 25
            state ^= state >> 27
            return state &* 0x2545_F491_4F6C_DD1D
        }
    }

    static func csvField(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: { ",\"\n\r".unicodeScalars.contains($0) }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    static func jsonString(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }

    /// Field values of one record (fund excluded).
    mutating func values() -> (id: Int, price: String, date: String, at: String, active: String, note: String) {
        defer { nextID += 1 }
        let cents = Int(random.next() % 1_000_000)
        let price = random.next() % 20 == 0 ? "" : "\(cents / 100).\(String(format: "%02d", cents % 100))"
        let month = Int(random.next() % 12) + 1
        let day = Int(random.next() % 28) + 1
        let date = "2024-\(String(format: "%02d", month))-\(String(format: "%02d", day))"
        let at = date + "T" + String(format: "%02d:%02d:%02dZ", Int(random.next() % 24), Int(random.next() % 60), Int(random.next() % 60))
        return (nextID, price, date, at, random.next() % 2 == 0 ? "true" : "false", pick(Self.notes))
    }

    /// A CSV object of `count` records with `ending` line endings: rejects
    /// (no fund, a bare quote), exact duplicates and a quoted fund now and then.
    mutating func csv(records count: Int, ending: String = "\r\n", lastTerminated: Bool = true) -> Object {
        var object = Object()
        let header = Self.csvHeader + ending
        object.bytes += header.utf8
        object.expected += header.utf8
        var previous: (String, Bool)?
        for index in 0..<count {
            let roll = random.next() % 100
            var line: String
            var fund: String? = pick(Self.funds)
            var malformed = false
            if roll < 3, let previous {
                // An exact duplicate of the previous record.
                line = previous.0
                fund = previous.1 ? "F0001" : "F0002"
            } else {
                let v = values()
                if roll < 6 { fund = nil }
                var fundText = fund ?? ""
                if roll >= 6 && roll < 10 { fundText = "\"\(fundText)\"" }
                var note = Self.csvField(v.note)
                if roll == 10 {
                    note = "bare\"quote"
                    malformed = true
                }
                line = [fundText, "\(v.id)", v.price, v.date, v.at, v.active, note].joined(separator: ",")
            }
            let approved = fund.map(Self.approved.contains) ?? false
            let terminator = index == count - 1 && !lastTerminated ? "" : ending
            object.bytes += (line + terminator).utf8
            object.recordsIn += 1
            if fund == nil || malformed {
                object.rejected += 1
            } else if approved {
                object.recordsOut += 1
                object.expected += (line + terminator).utf8
            }
            if fund != nil && !malformed { previous = (line, approved) }
        }
        return object
    }

    /// A JSON Lines object: a missing key now and then, `null` funds and broken lines (rejected).
    mutating func jsonl(records count: Int) -> Object {
        var object = Object()
        for _ in 0..<count {
            let roll = random.next() % 100
            let v = values()
            let fund = pick(Self.funds)
            var line: String
            var rejected = false
            if roll < 3 {
                line = "{\"fund_id\":null,\"trade_id\":\(v.id)}"
                rejected = true
            } else if roll < 5 {
                line = "{\"fund_id\":\"\(fund)\",\"trade_id\":"
                rejected = true
            } else {
                var members = ["\"fund_id\":\(Self.jsonString(fund))", "\"trade_id\":\(v.id)"]
                if !v.price.isEmpty { members.append("\"price\":\(v.price)") }
                members.append("\"trade_date\":\"\(v.date)\"")
                members.append("\"active\":\(v.active)")
                members.append("\"note\":\(roll < 8 ? "null" : Self.jsonString(v.note))")
                if roll > 95 { members.append("\"tags\":[\"a\",{\"b\":1}]") }
                line = "{" + members.joined(separator: ",") + "}"
            }
            object.bytes += (line + "\n").utf8
            object.recordsIn += 1
            if rejected {
                object.rejected += 1
            } else if Self.approved.contains(fund) {
                object.recordsOut += 1
                object.expected += (line + "\n").utf8
            }
        }
        return object
    }
}
