/// What the profiler keeps per column, in constant memory: counts per
/// value type, a ``HyperLogLog`` of the values, Welford's running mean and
/// variance of the numbers, and the earliest and latest date or timestamp.
public struct ColumnProfile: Sendable {
    /// The column's name (CSV header field, JSON key).
    public let name: String
    /// Values that were present and not empty.
    public private(set) var present = 0
    /// Present values per ``ValueType`` (indexed by `allCases`).
    public private(set) var typeCounts = [Int](repeating: 0, count: ValueType.allCases.count)
    private var sketch = HyperLogLog()
    /// Numbers seen (integer and decimal values).
    public private(set) var numbers = 0
    private var mean = 0.0
    private var m2 = 0.0
    /// The smallest and largest number.
    public private(set) var minimum = Double.infinity, maximum = -Double.infinity
    private var earliest: (Double, [UInt8])?
    private var latest: (Double, [UInt8])?

    init(name: String) {
        self.name = name
    }

    /// Counts one present value of `type` with its hash, number or instant.
    mutating func observe(_ text: UnsafeRawBufferPointer, type: ValueType, measure: Double?, hash: UInt64) {
        present += 1
        sketch.insert(hash: hash)
        switch type {
        case .integer: typeCounts[0] += 1
        case .decimal: typeCounts[1] += 1
        case .boolean: typeCounts[2] += 1
        case .date: typeCounts[3] += 1
        case .timestamp: typeCounts[4] += 1
        case .string: typeCounts[5] += 1
        }
        guard let measure, measure.isFinite else { return }
        if type == .integer || type == .decimal {
            // Welford (1962): numerically stable running mean and M2.
            numbers += 1
            let delta = measure - mean
            mean += delta / Double(numbers)
            m2 += delta * (measure - mean)
            minimum = Swift.min(minimum, measure)
            maximum = Swift.max(maximum, measure)
        } else if type == .date || type == .timestamp {
            if earliest.map({ measure < $0.0 }) ?? true { earliest = (measure, Array(text)) }
            if latest.map({ measure > $0.0 }) ?? true { latest = (measure, Array(text)) }
        }
    }

    /// The narrowest type all present values fit (``ValueType``).
    public var inferredType: ValueType {
        let (integers, decimals, booleans, dates, timestamps) = (typeCounts[0], typeCounts[1], typeCounts[2], typeCounts[3], typeCounts[4])
        if present == 0 { return .string }
        if integers == present { return .integer }
        if integers + decimals == present { return .decimal }
        if booleans == present { return .boolean }
        if dates == present { return .date }
        if dates + timestamps == present { return .timestamp }
        return .string
    }

    /// The column's part of the report, over `records` records.
    func report(records: Int) -> ColumnReport {
        let type = inferredType
        var report = ColumnReport(
            name: name, type: type, nulls: records - present, distinctEstimate: sketch.estimate)
        if type == .integer || type == .decimal, numbers > 0 {
            report.numeric = ColumnReport.Numeric(
                min: minimum, max: maximum, mean: mean, stddev: numbers > 1 ? (m2 / Double(numbers - 1)).squareRoot() : 0)
        }
        if type == .date || type == .timestamp, let earliest, let latest {
            report.temporal = ColumnReport.Temporal(
                min: String(decoding: earliest.1, as: UTF8.self), max: String(decoding: latest.1, as: UTF8.self))
        }
        return report
    }
}

/// One column of a ``QualityReport``.
public struct ColumnReport: Sendable, Equatable {
    /// Min, max, mean and sample standard deviation of a numeric column.
    public struct Numeric: Sendable, Equatable {
        public var min: Double, max: Double, mean: Double, stddev: Double

        /// The figures.
        public init(min: Double, max: Double, mean: Double, stddev: Double) {
            (self.min, self.max, self.mean, self.stddev) = (min, max, mean, stddev)
        }
    }

    /// Earliest and latest value of a date or timestamp column, as written.
    public struct Temporal: Sendable, Equatable {
        public var min: String, max: String

        /// The figures.
        public init(min: String, max: String) {
            (self.min, self.max) = (min, max)
        }
    }

    public var name: String
    public var type: ValueType
    /// Records where the value is empty, `null` or (JSON Lines) absent.
    public var nulls: Int
    /// HyperLogLog estimate of distinct present values.
    public var distinctEstimate: Int
    public var numeric: Numeric?
    public var temporal: Temporal?
}
