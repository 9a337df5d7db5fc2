/// The dataset copy's pure core: bytes of one source object in, the bytes
/// of its filtered copy out, as they stream. A record is kept when its fund
/// value is one of the approved funds; kept records are passed on byte for
/// byte (terminator included), the CSV header line always. Records that
/// cannot be parsed or have no fund value are rejected: counted, and the
/// first ``maxReportedRejects`` reported by object and line, never by
/// content. Kept records feed one ``QualityProfiler`` across the objects
/// of a version.
///
/// Use: ``begin(object:)``, ``feed(_:_:)`` per chunk, ``end(_:)``; repeat
/// per object. Memory: one unfinished record, zlib's state, one staging
/// buffer of about a chunk's kept bytes, and the profiler.
public final class RecordFilter {
    /// The record formats of DESIGN.md §4.
    public enum Format: String, Sendable { case csv, csvGzip = "csv.gz", jsonl }

    /// A record not copied because it could not be read.
    public struct Reject: Sendable, Equatable {
        /// The source object's key.
        public var object: String
        /// The line the record starts on, from 1 (decompressed, for gzip).
        public var line: Int
        /// Why, without the record's contents.
        public var reason: String
    }

    /// Rejects reported at most (all are counted).
    public static let maxReportedRejects = 20

    public let format: Format
    public let fundColumn: String
    public private(set) var profiler = QualityProfiler()
    /// Records read, kept and rejected over all objects so far (headers excluded).
    public private(set) var recordsIn = 0, recordsOut = 0, rejected = 0
    public private(set) var rejects: [Reject] = []

    private var approved: [RecordHash: [[UInt8]]] = [:]
    private var object = ""
    private var objectRecordsOut = 0
    private var csv = CSVSplitter()
    private var lines = LineSplitter()
    private var inflater: GzipInflater?
    private var deflater: GzipDeflater?
    private var plain: [UInt8] = []
    // CSV: the current object's header.
    private var header: [Int?]?
    private var fundIndex = 0
    // JSON Lines: which record last saw each column (first occurrence counts).
    private var seenIn: [Int] = []
    private var fundKey: [UInt8]

    /// A filter keeping records whose `fundColumn` is in `approvedFunds`.
    public init(format: Format, fundColumn: String, approvedFunds: [String]) {
        self.format = format
        self.fundColumn = fundColumn
        self.fundKey = Array(fundColumn.utf8)
        for fund in approvedFunds {
            let bytes = Array(fund.utf8)
            approved[RecordHash(bytes), default: []].append(bytes)
        }
    }

    /// Starts the object with key `key`.
    public func begin(object key: String) throws {
        object = key
        objectRecordsOut = 0
        csv = CSVSplitter()
        lines = LineSplitter()
        header = nil
        if format == .csvGzip {
            inflater = try GzipInflater()
            deflater = try GzipDeflater()
        }
    }

    /// Filters the next bytes of the object; `sink` gets output bytes (gzip
    /// for `csv.gz`), valid only during the call.
    public func feed(_ chunk: UnsafeRawBufferPointer, _ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        plain.removeAll(keepingCapacity: true)
        if let inflater {
            try inflater.feed(chunk) { try split($0) }
        } else {
            try split(chunk)
        }
        try flush(sink)
    }

    /// Ends the object; returns how many of its records were kept.
    public func end(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws -> Int {
        plain.removeAll(keepingCapacity: true)
        try inflater?.finish()
        switch format {
        case .csv, .csvGzip: try csv.finish { try csvRecord($0) }
        case .jsonl: try lines.finish { try jsonRecord($0) }
        }
        try flush(sink)
        try deflater?.finish(sink)
        inflater = nil
        deflater = nil
        return objectRecordsOut
    }

    private func flush(_ sink: (UnsafeRawBufferPointer) throws -> Void) throws {
        guard !plain.isEmpty else { return }
        try plain.withUnsafeBytes { bytes in
            if let deflater { try deflater.feed(bytes, sink) } else { try sink(bytes) }
        }
    }

    private func split(_ bytes: UnsafeRawBufferPointer) throws {
        switch format {
        case .csv, .csvGzip: try csv.feed(bytes) { try csvRecord($0) }
        case .jsonl: try lines.feed(bytes) { try jsonRecord($0) }
        }
    }

    private func reject(_ record: RecordView, _ reason: String) {
        rejected += 1
        if rejects.count < Self.maxReportedRejects {
            rejects.append(Reject(object: object, line: record.line, reason: reason))
        }
    }

    private func isApproved(_ value: UnsafeRawBufferPointer) -> Bool {
        guard let candidates = approved[RecordHash(value)] else { return false }
        return candidates.contains { $0.withUnsafeBytes { $0.elementsEqual(value) } }
    }

    private func keep(_ record: RecordView) {
        recordsOut += 1
        objectRecordsOut += 1
        plain.append(contentsOf: record.bytes)
        profiler.record(record.content)
    }

    // MARK: CSV

    private func csvRecord(_ record: RecordView) throws {
        guard let header else {
            try readHeader(record)
            return
        }
        recordsIn += 1
        guard !record.malformed else { return reject(record, "malformed CSV (quotes)") }
        guard record.fields.count == header.count else {
            return reject(record, "\(record.fields.count) fields where the header has \(header.count)")
        }
        let fund = record.withField(fundIndex) { $0.isEmpty ? nil : isApproved($0) }
        guard let fund else { return reject(record, "no \(fundColumn) value") }
        guard fund else { return }
        keep(record)
        for (index, column) in header.enumerated() {
            guard let column else { continue }
            record.withField(index) { value in
                if !value.isEmpty { profiler.value(column, value) }
            }
        }
    }

    private func readHeader(_ record: RecordView) throws {
        guard !record.malformed else {
            throw RecordsError(.invalidHeader, "the header of \(object) is malformed CSV (quotes)")
        }
        var names: [String] = []
        for index in 0..<record.fields.count {
            var name = record.withField(index) { String(decoding: $0, as: UTF8.self) }
            if index == 0, name.hasPrefix("\u{FEFF}") { name.removeFirst() }
            names.append(name)
        }
        guard let fund = names.firstIndex(of: fundColumn) else {
            throw RecordsError(.missingFundColumn, "the header of \(object) has no column \(fundColumn)")
        }
        guard names.lastIndex(of: fundColumn) == fund else {
            throw RecordsError(.invalidHeader, "the header of \(object) names the column \(fundColumn) more than once")
        }
        fundIndex = fund
        // A name that appears again is profiled in its first column only, so
        // no column counts a record twice.
        var seen = Set<String>()
        header = names.map { name in seen.insert(name).inserted ? profiler.column(named: name) : nil }
        plain.append(contentsOf: record.bytes)
    }

    // MARK: JSON Lines

    private func jsonRecord(_ record: RecordView) throws {
        recordsIn += 1
        var fund: Bool?
        var fundCount = 0
        let fundKey = fundKey
        let valid = JSONLineScanner.scan(record.content) { key, kind, value in
            guard key.elementsEqual(fundKey) else { return }
            fundCount += 1
            switch kind {
            case .string, .number: fund = value.isEmpty ? nil : isApproved(value)
            case .bool, .null, .nested: fund = nil
            }
        }
        guard valid else { return reject(record, "not one JSON object") }
        guard fundCount <= 1 else { return reject(record, "\(fundColumn) appears more than once") }
        guard let fund else { return reject(record, "no \(fundColumn) value") }
        guard fund else { return }
        keep(record)
        let number = recordsOut
        _ = JSONLineScanner.scan(record.content) { key, kind, value in
            guard let column = profiler.column(named: String(decoding: key, as: UTF8.self)) else { return }
            if seenIn.count <= column { seenIn.append(contentsOf: repeatElement(0, count: column + 1 - seenIn.count)) }
            guard seenIn[column] != number else { return }
            seenIn[column] = number
            if kind == .null || (kind == .string && value.isEmpty) { return }
            profiler.value(column, value, jsonKind: kind)
        }
    }
}
