/// The parts of a quality report that drift and gates judge: per column
/// its name, inferred type and empty count.
public struct ColumnSummary: Sendable, Equatable {
    public var name: String
    public var type: String
    public var nulls: Int

    /// A summary.
    public init(name: String, type: String, nulls: Int) {
        self.name = name
        self.type = type
        self.nulls = nulls
    }

    /// The columns of a stored report (`quality.columns`).
    public static func columns(of quality: JSONValue?) -> [ColumnSummary] {
        guard case .array(let items)? = quality?.objectValue?["columns"] else { return [] }
        return items.compactMap { item in
            guard let object = item.objectValue, case .string(let name)? = object["name"],
                case .string(let type)? = object["type"]
            else { return nil }
            var nulls = 0
            if case .number(let value)? = object["nulls"] { nulls = Int(value) }
            return ColumnSummary(name: name, type: type, nulls: nulls)
        }
    }
}

/// Schema drift of a version against the previous ready one.
public struct SchemaDrift: Sendable, Equatable {
    public var added: [String]
    public var removed: [String]
    /// Columns in both whose inferred type changed: (column, from, to).
    public var retyped: [(column: String, from: String, to: String)]

    /// Compares `current` columns with `previous` ones (names sorted in the result).
    public init(previous: [ColumnSummary], current: [ColumnSummary]) {
        let before = Dictionary(previous.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        let after = Dictionary(current.map { ($0.name, $0.type) }, uniquingKeysWith: { first, _ in first })
        added = after.keys.filter { before[$0] == nil }.sorted()
        removed = before.keys.filter { after[$0] == nil }.sorted()
        retyped = after.keys.sorted().compactMap { name in
            guard let from = before[name], let to = after[name], from != to else { return nil }
            return (name, from, to)
        }
    }

    public static func == (lhs: SchemaDrift, rhs: SchemaDrift) -> Bool {
        lhs.added == rhs.added && lhs.removed == rhs.removed
            && lhs.retyped.elementsEqual(rhs.retyped) { $0.column == $1.column && $0.from == $1.from && $0.to == $1.to }
    }

    /// As reported: `{"against_version","added","removed","retyped":[{"column","from","to"}]}`.
    public func json(againstVersion: Int) -> JSONValue {
        .object([
            "against_version": .number(Double(againstVersion)),
            "added": .array(added.map(JSONValue.string)),
            "removed": .array(removed.map(JSONValue.string)),
            "retyped": .array(retyped.map { .object(["column": .string($0.column), "from": .string($0.from), "to": .string($0.to)]) }),
        ])
    }
}

extension QualityGates {
    /// Every gate the report fails, as readable reasons (empty: it passes).
    /// A column named by `max_null_fraction` or `required_columns` that the
    /// records do not have fails its gate.
    public func failures(columns: [ColumnSummary], records: Int, duplicates: Int) -> [String] {
        var failures: [String] = []
        let byName = Dictionary(columns.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for column in requiredColumns ?? [] where byName[column] == nil {
            failures.append("required column \(column) is missing")
        }
        if let minRecords, records < minRecords {
            failures.append("\(records) records, fewer than min_records \(minRecords)")
        }
        for (name, limit) in (maxNullFraction ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard let column = byName[name] else {
                failures.append("max_null_fraction: column \(name) is missing")
                continue
            }
            let fraction = records == 0 ? 0 : Double(column.nulls) / Double(records)
            if fraction > limit {
                failures.append("column \(name) is empty in \(Self.percent(fraction)) of records, above max_null_fraction \(limit)")
            }
        }
        if let maxDuplicateFraction {
            let fraction = records == 0 ? 0 : Double(duplicates) / Double(records)
            if fraction > maxDuplicateFraction {
                failures.append("\(Self.percent(fraction)) of records are duplicates, above max_duplicate_fraction \(maxDuplicateFraction)")
            }
        }
        return failures
    }

    static func percent(_ fraction: Double) -> String {
        "\((fraction * 10_000).rounded() / 100)%"
    }
}
