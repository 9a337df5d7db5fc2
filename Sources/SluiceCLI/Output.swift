import ArgumentParser
import Foundation

/// How results are printed: `table` for people (the default), `json` for
/// scripts — the server's JSON exactly as it answered —, `id` for shell
/// variables: the resource's `id` (or `name`) alone.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case table, json, id
}

/// One column of a table: its header and the JSON path of its value
/// (`status.phase`).
struct Column: Sendable {
    var header: String
    var path: String

    init(_ header: String, _ path: String) {
        self.header = header
        self.path = path
    }
}

/// Printing to standard output and error.
enum Output {
    static func line(_ text: String) {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }

    static func error(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    /// The raw server answer, one line.
    static func raw(_ bytes: [UInt8]) {
        FileHandle.standardOutput.write(Data(bytes + [UInt8(ascii: "\n")]))
    }

    /// `items` as an aligned table.
    static func table(_ items: [[String: Any]], _ columns: [Column]) {
        let rows = [columns.map(\.header)] + items.map { item in columns.map { text(value(item, at: $0.path)) } }
        let widths = columns.indices.map { index in rows.map { $0[index].count }.max() ?? 0 }
        for row in rows {
            let cells = row.enumerated().map { index, cell in
                index == row.count - 1 ? cell : cell.padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }
            line(cells.joined(separator: "  "))
        }
    }

    /// One object as indented `key: value` lines, keys sorted.
    static func object(_ value: Any, indent: String = "") {
        if let object = value as? [String: Any] {
            for key in object.keys.sorted() {
                let member = object[key] ?? NSNull()
                if isScalar(member) || isEmpty(member) {
                    line("\(indent)\(key): \(text(member))")
                } else {
                    line("\(indent)\(key):")
                    self.object(member, indent: indent + "  ")
                }
            }
        } else if let array = value as? [Any] {
            for element in array {
                if isScalar(element) {
                    line("\(indent)- \(text(element))")
                } else {
                    line("\(indent)-")
                    object(element, indent: indent + "  ")
                }
            }
        } else {
            line(indent + text(value))
        }
    }

    /// The value at a dotted path of `object`.
    static func value(_ object: [String: Any], at path: String) -> Any? {
        var current: Any? = object
        for key in path.split(separator: ".") {
            current = (current as? [String: Any])?[String(key)]
        }
        return current
    }

    /// A cell: strings as they are, numbers without a needless `.0`,
    /// nested values as compact JSON, null as `-`.
    static func text(_ value: Any?) -> String {
        switch value {
        case nil, is NSNull: return "-"
        case let string as String: return string
        case let number as NSNumber:
            // JSONSerialization reads true and false as char-typed numbers.
            if String(cString: number.objCType) == "c" { return number.boolValue ? "true" : "false" }
            let double = number.doubleValue
            if double == double.rounded(), abs(double) < 1e15 { return String(Int64(double)) }
            return String(format: "%.4g", double)
        case let other?:
            guard JSONSerialization.isValidJSONObject(other),
                let data = try? JSONSerialization.data(withJSONObject: other, options: [.sortedKeys, .withoutEscapingSlashes])
            else { return "\(other)" }
            return String(decoding: data, as: UTF8.self)
        }
    }

    private static func isScalar(_ value: Any) -> Bool { !(value is [String: Any]) && !(value is [Any]) }

    private static func isEmpty(_ value: Any) -> Bool {
        ((value as? [String: Any])?.isEmpty ?? false) || ((value as? [Any])?.isEmpty ?? false)
    }
}
