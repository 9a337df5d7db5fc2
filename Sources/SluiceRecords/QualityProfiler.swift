/// The quality report of the records kept, computed in the same streaming
/// pass as the copy and in bounded memory: per column a ``ColumnProfile``
/// (at most ``maxColumns`` columns), and duplicate records counted exactly
/// by 128-bit hash (``RecordHash`` of the record without its terminator) as
/// long as at most ``exactDuplicateLimit`` distinct records were seen (a set
/// of 16-byte hashes, 16 MiB at most); past that the set is dropped and
/// duplicates are estimated as records minus a HyperLogLog estimate of
/// distinct records, kept from the start for that purpose.
public struct QualityProfiler: Sendable {
    /// Columns profiled at most; more are counted in ``QualityReport/columnsIgnored``.
    public static let maxColumns = 1024
    /// Distinct records counted exactly at most.
    public static let exactDuplicateLimit = 786_432

    public private(set) var columns: [ColumnProfile] = []
    private var index: [String: Int] = [:]
    private var ignored: Set<String> = []
    public private(set) var records = 0
    private var exact: Set<RecordHash>? = []
    private var exactDuplicates = 0
    private var recordSketch = HyperLogLog()

    /// An empty profile.
    public init() {}

    /// The index of the column named `name`, added when new (`nil` past ``maxColumns``).
    public mutating func column(named name: String) -> Int? {
        if let found = index[name] { return found }
        guard columns.count < Self.maxColumns else {
            if ignored.count < 10_000 { ignored.insert(name) }
            return nil
        }
        columns.append(ColumnProfile(name: name))
        index[name] = columns.count - 1
        return columns.count - 1
    }

    /// Counts a record by its content (terminator excluded).
    public mutating func record(_ content: UnsafeRawBufferPointer) {
        records += 1
        let hash = RecordHash(content)
        recordSketch.insert(hash: hash.low)
        if exact != nil {
            if exact?.insert(hash).inserted == false {
                exactDuplicates += 1
            } else if let count = exact?.count, count > Self.exactDuplicateLimit {
                exact = nil
            }
        }
    }

    /// Counts a present, non-empty value of `column` in the current record;
    /// `jsonKind` is set for JSON Lines values (see ``ValueType``).
    public mutating func value(_ column: Int, _ text: UnsafeRawBufferPointer, jsonKind: JSONLineScanner.Kind? = nil) {
        let classified: (ValueType, Double?)
        switch jsonKind {
        case .none: classified = ValueType.classify(text)
        case .number?:
            let (type, measure) = ValueType.classify(text)
            classified = type == .integer ? (type, measure) : (.decimal, measure)
        case .bool?: classified = (.boolean, nil)
        case .string?: classified = ValueType.classify(text, numeric: false)
        case .nested?, .null?: classified = (.string, nil)
        }
        columns[column].observe(text, type: classified.0, measure: classified.1, hash: RecordHash(text).low)
    }

    /// The report so far.
    public var report: QualityReport {
        let duplicates: Int
        let method: String
        if exact != nil {
            duplicates = exactDuplicates
            method = "exact: 128-bit MurmurHash3 of each record (terminator excluded) in a set"
        } else {
            duplicates = max(0, records - recordSketch.estimate)
            method = "estimated: records minus a HyperLogLog estimate of distinct records"
                + " (more than \(Self.exactDuplicateLimit) distinct records)"
        }
        return QualityReport(
            records: records, columns: columns.map { $0.report(records: records) }, duplicates: duplicates,
            duplicateMethod: method, duplicatesExact: exact != nil, columnsIgnored: ignored.sorted())
    }
}

/// The quality figures of one dataset version's records.
public struct QualityReport: Sendable, Equatable {
    public var records: Int
    public var columns: [ColumnReport]
    /// Records that repeat an earlier record byte for byte.
    public var duplicates: Int
    /// How duplicates were counted.
    public var duplicateMethod: String
    public var duplicatesExact: Bool
    /// Column names beyond ``QualityProfiler/maxColumns``, not profiled.
    public var columnsIgnored: [String]
}
