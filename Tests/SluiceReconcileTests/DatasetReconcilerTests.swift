import Foundation
import SluiceAWS
import SluiceDomain
import SluicePostgres
import SluiceReconcile
import SluiceRecords
import SluiceStore
import SluiceTesting
import Testing

/// The dataset worker against real PostgreSQL and moto (SigV4 checked):
/// exact filtered copies, counts, hashes and quality figures checked against
/// ground truth from the generator and an independent Python computation.
@Suite(.serialized) struct DatasetReconcilerTests {
    /// Keys relative to the dataset prefix: spaces, `+`, unicode, nesting.
    static let keys = ["2024 Q1/trades+fx a.csv", "2024 Q2/trades é.csv", "empty.csv", "none-approved.csv", "z/last.csv"]

    static func number(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }

    /// Uploads `objects` under `staging/<name>/`, runs a version, and checks
    /// everything about it; returns the version.
    @discardableResult
    static func runAndCheck(
        _ harness: DatasetHarness, name: String, format: DatasetFormat, objects: [(String, RecordGenerator.Object)],
        gzip: Bool = false
    ) async throws -> DatasetVersion {
        let id = try await harness.makeDataset(name, format: format, funds: RecordGenerator.approved)
        for (key, object) in objects {
            let body = gzip && !object.bytes.isEmpty ? try Self.gzip(object.bytes) : object.bytes
            try await harness.s3.putObject(bucket: harness.staging, key: "\(name)/\(key)", body: body)
        }
        let listed = try await harness.s3.listAllObjects(bucket: harness.staging, prefix: "\(name)/")
        let version = try await harness.snapshotAndRun(name, id: id)
        #expect(version.status == .ready, "\(version.reason ?? "")")
        #expect(version.approvedFundsVersion == 1)
        #expect(version.startedAt != nil && version.finishedAt != nil)

        // The snapshot: every source object with its ETag and size.
        let sources = try #require(version.sourceObjects.flatMap { try? JSONEncoder().encode($0) })
        let pinned = try JSONDecoder().decode([StoredObject].self, from: sources)
        #expect(Set(pinned.map(\.key)) == Set(listed.map(\.key)))
        for object in listed {
            #expect(pinned.first { $0.key == object.key } == StoredObject(
                key: object.key, etag: object.etag.trimmingCharacters(in: ["\""]), size: object.size))
        }

        // Exactly the approved records, byte for byte, and nothing else under the destination.
        let outputs = try await harness.outputs("\(name)/")
        #expect(Set(outputs.keys) == Set(objects.map { "\(name)/\($0.0)" }))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-ds-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var paths: [String: String] = [:]
        for (index, (key, _)) in objects.enumerated() {
            let path = directory.appendingPathComponent("\(index)").path
            try Data(outputs["\(name)/\(key)"] ?? []).write(to: URL(fileURLWithPath: path))
            paths[key] = path
        }
        let reference = try PythonReference.profile(format: format.rawValue, paths: objects.compactMap { paths[$0.0] })
        for (key, object) in objects {
            guard let path = paths[key] else { continue }
            let plain = gzip ? try Data(contentsOf: URL(fileURLWithPath: path + ".plain")) : try Data(contentsOf: URL(fileURLWithPath: path))
            let same = Array(plain) == object.expected
            #expect(same, "\(key): \(plain.count) bytes, expected \(object.expected.count)")
            for fund in RecordGenerator.funds where !RecordGenerator.approved.contains(fund) {
                #expect(!String(decoding: plain, as: UTF8.self).contains(fund), "\(fund) in \(key)")
            }
        }

        // Counts and hashes.
        #expect(version.recordsIn == objects.reduce(0) { $0 + $1.1.recordsIn })
        #expect(version.recordsOut == objects.reduce(0) { $0 + $1.1.recordsOut })
        #expect(version.recordsRejected == objects.reduce(0) { $0 + $1.1.rejected })
        guard case .array(let outputItems)? = version.outputs else {
            Issue.record("no outputs")
            return version
        }
        let hashes = reference["sha256"] as? [String: String] ?? [:]
        for (key, object) in objects {
            let item = outputItems.compactMap(\.objectValue).first { $0["uri"] == .string("s3://\(harness.rnd)/\(name)/\(key)") }
            #expect(item?["sha256"] == paths[key].flatMap { hashes[$0] }.map(JSONValue.string), "\(key)")
            #expect(item?["records"] == .number(Double(object.recordsOut)), "\(key)")
        }

        // Quality figures against Python's.
        try checkQuality(version, reference)
        return version
    }

    static func checkQuality(_ version: DatasetVersion, _ reference: [String: Any]) throws {
        let quality = try #require(version.quality?.objectValue)
        #expect(quality["records"] == .number(number(reference["records"]) ?? -1))
        let duplicates = quality["duplicates"]?.objectValue
        #expect(duplicates?["count"] == .number(number(reference["duplicates"]) ?? -1))
        #expect(duplicates?["exact"] == .bool(true))
        guard case .number(let error)? = quality["distinct"]?.objectValue?["relative_standard_error"] else {
            Issue.record("no distinct error stated")
            return
        }
        guard case .array(let columns)? = quality["columns"] else {
            Issue.record("no columns")
            return
        }
        let expected = reference["columns"] as? [[String: Any]] ?? []
        #expect(columns.compactMap { $0.objectValue?["name"] } == expected.compactMap { ($0["name"] as? String).map(JSONValue.string) })
        for (column, want) in zip(columns.compactMap(\.objectValue), expected) {
            let name = want["name"] as? String ?? ""
            #expect(column["type"] == .string(want["type"] as? String ?? ""), "\(name)")
            #expect(column["nulls"] == .number(number(want["nulls"]) ?? -1), "\(name)")
            if case .number(let estimate)? = column["distinct_estimate"], let exact = number(want["distinct"]) {
                #expect(abs(estimate - exact) <= max(2, 3 * error * exact), "\(name): \(estimate) vs \(exact)")
            } else {
                Issue.record("\(name): no distinct estimate")
            }
            for figure in ["min", "max", "mean", "stddev"] {
                switch (column[figure], want[figure]) {
                case (.number(let got)?, let value?):
                    let wanted = number(value) ?? .nan
                    #expect(abs(got - wanted) <= 1e-9 * max(1, abs(wanted)), "\(name).\(figure): \(got) vs \(wanted)")
                case (.string(let got)?, let value?):
                    #expect(got == value as? String, "\(name).\(figure)")
                case (nil, nil):
                    break
                default:
                    Issue.record("\(name).\(figure): \(String(describing: column[figure])) vs \(String(describing: want[figure]))")
                }
            }
        }
    }

    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        // Two gzip members, as `cat a.gz b.gz` makes: readers must take both.
        let half = bytes.count / 2
        var out: [UInt8] = []
        for part in [bytes[..<half], bytes[half...]] {
            let deflater = try GzipDeflater()
            try Array(part).withUnsafeBytes { try deflater.feed($0) { out += $0 } }
            try deflater.finish { out += $0 }
        }
        return out
    }

    static func objects(_ generate: (inout RecordGenerator, Int) -> RecordGenerator.Object) -> [(String, RecordGenerator.Object)] {
        var generator = RecordGenerator(seed: 42)
        var result: [(String, RecordGenerator.Object)] = []
        for (index, key) in keys.enumerated() {
            switch key {
            case "empty.csv": result.append((key, RecordGenerator.Object()))
            default: result.append((key, generate(&generator, index)))
            }
        }
        return result
    }

    @Test func csv_copiesExactlyTheApprovedRecords_withCountsHashesAndQuality() async throws {
        try await DatasetHarness.with { harness in
            var objects = Self.objects { generator, index in
                generator.csv(records: 400 + 100 * index, ending: index % 2 == 0 ? "\r\n" : "\n", lastTerminated: index != 4)
            }
            // An object whose funds are all unapproved: its copy is the header alone.
            var none = RecordGenerator.Object()
            none.bytes = Array((RecordGenerator.csvHeader + "\nF0002,1,1.00,2024-01-01,2024-01-01T00:00:00Z,true,x\n").utf8)
            none.expected = Array((RecordGenerator.csvHeader + "\n").utf8)
            none.recordsIn = 1
            objects[3] = ("none-approved.csv", none)
            let version = try await Self.runAndCheck(harness, name: "trades", format: .csv, objects: objects)
            let rejected = version.quality?.objectValue?["rejected"]?.objectValue
            guard case .array(let first)? = rejected?["first"] else {
                Issue.record("no rejects reported")
                return
            }
            #expect(!first.isEmpty && first.count <= 20)
            // Rejects name object and line only, never contents.
            for item in first.compactMap(\.objectValue) { #expect(Set(item.keys) == ["object", "line", "reason"]) }
            #expect(version.quality?.objectValue?["drift"] == .null)
        }
    }

    @Test func csvGzip_copiesExactlyTheApprovedRecords_asGzip() async throws {
        try await DatasetHarness.with { harness in
            let objects = Self.objects { generator, index in generator.csv(records: 300 + 50 * index) }
                .map { ($0.0 + ".gz", $0.1) }
            try await Self.runAndCheck(harness, name: "gz", format: .csvGzip, objects: objects, gzip: true)
        }
    }

    @Test func jsonl_copiesExactlyTheApprovedRecords() async throws {
        try await DatasetHarness.with { harness in
            let objects = Self.objects { generator, index in generator.jsonl(records: 500 + 10 * index) }
                .map { ($0.0.replacingOccurrences(of: ".csv", with: ".jsonl"), $0.1) }
            try await Self.runAndCheck(harness, name: "lines", format: .jsonl, objects: objects)
        }
    }
}

/// Failure paths and restarts of the dataset worker.
@Suite(.serialized) struct DatasetWorkerSafetyTests {
    static func csv(_ rows: [String]) -> [UInt8] {
        Array((["fund_id,n,label"] + rows).map { $0 + "\n" }.joined().utf8)
    }

    /// Numbers near Double's limits overflow the running variance: the
    /// version is still made, with a null figure, not retried forever on a
    /// report JSON cannot carry. A file with classic Mac line ends is
    /// filtered record by record (decision 79).
    @Test func hugeNumbers_andBareCRLineEnds_makeAVersion() async throws {
        try await DatasetHarness.with { harness in
            let id = try await harness.makeDataset("edge", format: .csv, funds: ["F1"])
            try await harness.s3.putObject(bucket: harness.staging, key: "edge/huge.csv", body: Self.csv(["F1,1e200,a", "F1,-1e200,b"]))
            try await harness.s3.putObject(
                bucket: harness.staging, key: "edge/mac.csv", body: Array("fund_id,n,label\rF1,1,a\rF2,2,b\r".utf8))
            let version = try await harness.snapshotAndRun("edge", id: id)
            #expect(version.status == .ready, "\(version.reason ?? "")")
            let outputs = try await harness.outputs("edge/")
            #expect(outputs["edge/mac.csv"] == Array("fund_id,n,label\rF1,1,a\r".utf8))
            guard case .array(let list)? = version.quality?.objectValue?["columns"] else {
                Issue.record("no columns")
                return
            }
            let n = try #require(list.compactMap(\.objectValue).first { $0["name"] == .string("n") })
            #expect(n["min"] == .number(-1e200) && n["max"] == .number(1e200))
            #expect(n["stddev"] == .null)
        }
    }

    /// A destination S3 refuses for good (no such bucket) fails the version
    /// with the reason, instead of copying again on every retry until parked.
    @Test func aMissingDestinationBucket_failsTheVersion() async throws {
        try await DatasetHarness.with { harness in
            let id = try await harness.makeDataset(
                "nodest", format: .csv, funds: ["F1"], destination: "s3://sluice-missing-\(UUID().uuidString.prefix(8).lowercased())/x/")
            try await harness.s3.putObject(bucket: harness.staging, key: "nodest/a.csv", body: Self.csv(["F1,1,a"]))
            let version = try await harness.snapshotAndRun("nodest", id: id, maxPasses: 3)
            #expect(version.status == .failed)
            #expect(version.reason?.contains("was not found (NoSuchBucket") == true, "\(version.reason ?? "")")
        }
    }

    /// A version keeps the spec it was requested with (decision 83): a
    /// dataset moved to another client before the worker got to it still
    /// copies with the first client's approved list, into the first
    /// destination.
    @Test func aVersionKeepsTheSpecItWasRequestedWith() async throws {
        try await DatasetHarness.with { harness in
            let id = try await harness.makeDataset("pin", format: .csv, funds: ["F1"])
            _ = try await PostgresApprovedFundsStore(pool: harness.pool).put(client: "globex", fundIDs: ["F1", "F2"], actor: "test")
            try await harness.s3.putObject(bucket: harness.staging, key: "pin/a.csv", body: Self.csv(["F1,1,a", "F2,2,b"]))
            let requested = try await harness.datasets.createVersion(dataset: "pin", actor: "test")
            // As `apply` would: another client and destination, before any pass.
            try await harness.pool.query("""
                UPDATE datasets SET client = 'globex', destination_uri = \("s3://\(harness.rnd)/elsewhere/") WHERE name = 'pin'
                """)
            try await harness.runUntilIdle(id: id)
            let version = try await harness.datasets.version(dataset: "pin", version: requested.version)
            #expect(version.status == .ready, "\(version.reason ?? "")")
            #expect(try await harness.outputs("pin/")["pin/a.csv"] == Self.csv(["F1,1,a"]))
            #expect(try await harness.outputs("elsewhere/").isEmpty)
        }
    }

    @Test func sourceChangedAfterTheSnapshot_failsTheVersion_withoutCopyingIt() async throws {
        try await DatasetHarness.with { harness in
            let id = try await harness.makeDataset("etag", format: .csv, funds: ["F1"])
            try await harness.s3.putObject(bucket: harness.staging, key: "etag/a.csv", body: Self.csv(["F1,1,a"]))
            try await harness.s3.putObject(bucket: harness.staging, key: "etag/b.csv", body: Self.csv(["F1,2,b"]))
            let requested = try await harness.datasets.createVersion(dataset: "etag", actor: "test")
            // First pass: the snapshot only.
            #expect(try await harness.reconciler.reconcile(key: id.uuidString) == .requeue(after: .zero))
            #expect(try await harness.datasets.version(dataset: "etag", version: requested.version).status == .copying)
            try await harness.s3.putObject(bucket: harness.staging, key: "etag/b.csv", body: Self.csv(["F1,2,changed", "F1,3,c"]))
            try await harness.runUntilIdle(id: id)
            let version = try await harness.datasets.version(dataset: "etag", version: requested.version)
            #expect(version.status == .failed)
            #expect(version.reason?.contains("etag/b.csv changed during the copy") == true, "\(version.reason ?? "")")
            // The changed object's copy was never made.
            let outputs = try await harness.outputs("etag/")
            #expect(outputs["etag/b.csv"] == nil)
            #expect(try await harness.s3.listMultipartUploads(bucket: harness.rnd).isEmpty)
        }
    }

    @Test func killDuringACopy_leavesNoCompleteLookingObject_andTheNextPassRedoesIt() async throws {
        try await DatasetHarness.with { harness in
            let id = try await harness.makeDataset("kill", format: .csv, funds: ["F1"])
            try await harness.s3.putObject(bucket: harness.staging, key: "kill/a.csv", body: Self.csv(["F1,1,a", "F2,2,b"]))
            // ~7 MiB, all kept: more than one 5 MiB part.
            var big = Self.csv([])
            var index = 0
            while big.count < 7 << 20 {
                big += "F1,\(index),\(String(repeating: "x", count: 100))\n".utf8
                index += 1
            }
            try await harness.s3.putObject(bucket: harness.staging, key: "kill/big.csv", body: big)
            _ = try await harness.datasets.createVersion(dataset: "kill", actor: "test")
            let dying = DatasetReconciler(store: harness.work, storage: DyingStorage(base: harness.storage, killAfter: 6 << 20))
            _ = try await dying.reconcile(key: id.uuidString)  // snapshot
            await #expect(throws: DyingStorage.Killed.self) { _ = try await dying.reconcile(key: id.uuidString) }
            // Mid-copy: one part uploaded, no object at the key.
            #expect(try await harness.s3.listMultipartUploads(bucket: harness.rnd).map(\.key) == ["kill/big.csv"])
            #expect(try await harness.outputs("kill/")["kill/big.csv"] == nil)
            #expect(try await harness.datasets.version(dataset: "kill", version: 1).status == .copying)

            try await harness.runUntilIdle(id: id)
            let version = try await harness.datasets.version(dataset: "kill", version: 1)
            #expect(version.status == .ready)
            #expect(version.copyAttempts == 2)
            #expect(version.timings?.objectValue?["uploads_aborted"] == .number(1))
            #expect(try await harness.s3.listMultipartUploads(bucket: harness.rnd).isEmpty)
            let outputs = try await harness.outputs("kill/")
            #expect(outputs["kill/big.csv"] == big, "the big copy is whole")
            #expect(outputs["kill/a.csv"] == Self.csv(["F1,1,a"]))
            #expect(version.recordsOut == index + 1)
        }
    }

    @Test func aBodyThatEndsEarly_isNeverCompletedAsAnOutput() async throws {
        try await DatasetHarness.with { harness in
            let id = try await harness.makeDataset("short", format: .csv, funds: ["F1"])
            let body = Self.csv((0..<1000).map { "F1,\($0),x" })
            try await harness.s3.putObject(bucket: harness.staging, key: "short/a.csv", body: body)
            _ = try await harness.datasets.createVersion(dataset: "short", actor: "test")
            let cut = DatasetReconciler(store: harness.work, storage: ShortReadStorage(base: harness.storage, limit: 5000))
            _ = try await cut.reconcile(key: id.uuidString)  // snapshot
            // The short read itself, not any failure on the way.
            let error = await #expect(throws: (any Error).self) { _ = try await cut.reconcile(key: id.uuidString) }
            #expect("\(String(describing: error))".contains("source object short/a.csv: read 5000 of \(body.count) bytes"), "\(String(describing: error))")
            #expect(try await harness.outputs("short/").isEmpty)
            #expect(try await harness.datasets.version(dataset: "short", version: 1).status == .copying)
            try await harness.runUntilIdle(id: id)
            #expect(try await harness.outputs("short/")["short/a.csv"] == body)
        }
    }

    @Test func gates_quarantine_withEveryReason_andDriftIsAgainstThePreviousReadyVersion() async throws {
        try await DatasetHarness.with { harness in
            let gates = QualityGates(
                requiredColumns: ["fund_id", "label"], minRecords: 3, maxNullFraction: ["label": 0.25], maxDuplicateFraction: 0.2)
            let id = try await harness.makeDataset("gated", format: .csv, funds: ["F1"], gates: gates)
            try await harness.s3.putObject(
                bucket: harness.staging, key: "gated/a.csv", body: Self.csv(["F1,1,a", "F1,2,b", "F1,3,c", "F1,4,"]))
            let first = try await harness.snapshotAndRun("gated", id: id)
            #expect(first.status == .ready, "\(first.reason ?? "")")
            #expect(first.quality?.objectValue?["gates"]?.objectValue?["passed"] == .bool(true))

            // Version 2: n becomes decimal, label goes, day arrives; duplicates and too few records.
            try await harness.s3.putObject(
                bucket: harness.staging, key: "gated/a.csv", body: Array("fund_id,n,day\nF1,1.5,2024-01-01\nF1,1.5,2024-01-01\n".utf8))
            let second = try await harness.snapshotAndRun("gated", id: id)
            #expect(second.status == .quarantined)
            let failures = second.quality?.objectValue?["gates"]?.objectValue?["failures"]
            #expect(failures == .array([
                "required column label is missing", "2 records, fewer than min_records 3", "max_null_fraction: column label is missing",
                "50.0% of records are duplicates, above max_duplicate_fraction 0.2",
            ].map(JSONValue.string)))
            #expect(second.reason?.contains("required column label is missing") == true)
            #expect(second.quality?.objectValue?["drift"] == .object([
                "against_version": .number(1), "added": .array([.string("day")]), "removed": .array([.string("label")]),
                "retyped": .array([.object(["column": .string("n"), "from": .string("integer"), "to": .string("decimal")])]),
            ]))

            // Version 3 drifts against version 1, the last ready one, not the quarantined 2.
            try await harness.s3.putObject(bucket: harness.staging, key: "gated/a.csv", body: Self.csv(["F1,1,a", "F1,2,b", "F1,3,c"]))
            let third = try await harness.snapshotAndRun("gated", id: id)
            #expect(third.status == .ready)
            #expect(third.quality?.objectValue?["drift"] == .object([
                "against_version": .number(1), "added": .array([]), "removed": .array([]), "retyped": .array([]),
            ]))
        }
    }

    @Test func anObjectOver100MiB_streamsThrough_withFlatMemory() async throws {
        try await DatasetHarness.with(partSize: 8 << 20) { harness in
            let id = try await harness.makeDataset("large", format: .csv, funds: ["F0001"])
            // Streamed into S3 from a generator: one chunk in memory at a time.
            let payload = String(repeating: "p", count: 60)
            let generator = LargeCSV(payload: payload, targetBytes: 101 << 20)
            try await harness.s3.upload(bucket: harness.staging, key: "large/big file+1.csv") { generator.next() }
            // The copy's own peak: the process's high-water mark is reset
            // (clear_refs 5), and must not rise by anything like the object.
            let before = ProcessMemory.residentBytes()
            let measured = ProcessMemory.resetPeak()
            let version = try await harness.snapshotAndRun("large", id: id)
            if measured, let before, let peak = ProcessMemory.peakBytes() {
                #expect(peak - before < 48 << 20, "the copy of 101 MiB raised the peak by \((peak - before) >> 20) MiB")
            }
            #expect(version.status == .ready, "\(version.reason ?? "")")
            let summary = generator.summary()
            #expect(version.recordsIn == summary.records && version.recordsOut == summary.kept)
            let output = try await harness.s3.getObjectBytes(bucket: harness.rnd, key: "large/big file+1.csv", limit: 64 << 20)
            #expect(output.count == summary.expectedBytes)
            #expect(RecordHash(output) == summary.expectedHash)
        }
    }
}

/// A 100+ MiB CSV made a chunk at a time; 1 record in 20 is fund F0001.
/// Keeps only the hash and size of the expected copy, not the copy.
final class LargeCSV: @unchecked Sendable {
    private let lock = NSLock()
    private let payload: String
    private let targetBytes: Int
    private var produced = 0
    private var records = 0
    private var kept = 0
    private var expected: [UInt8] = []

    init(payload: String, targetBytes: Int) {
        self.payload = payload
        self.targetBytes = targetBytes
        let header = Array("fund_id,id,payload\n".utf8)
        expected = header
    }

    func next() -> [UInt8]? {
        lock.lock()
        defer { lock.unlock() }
        if produced == 0 {
            produced = expected.count
            return expected
        }
        guard produced < targetBytes else { return nil }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(1 << 20)
        while chunk.count < 1 << 20 {
            let fund = records % 20 == 0 ? "F0001" : "F00\(10 + records % 7)"
            let line = Array("\(fund),\(records),\(payload)\n".utf8)
            chunk += line
            if records % 20 == 0 {
                kept += 1
                expected += line
            }
            records += 1
        }
        produced += chunk.count
        return chunk
    }

    func summary() -> (records: Int, kept: Int, expectedBytes: Int, expectedHash: RecordHash) {
        lock.lock()
        defer { lock.unlock() }
        return (records, kept, expected.count, RecordHash(expected))
    }
}

/// Storage whose writers die after `killAfter` bytes, the way a killed
/// process does: the error surfaces, and nothing is cleaned up.
struct DyingStorage: ObjectStorage {
    struct Killed: Error {}
    let base: any ObjectStorage
    let killAfter: Int

    func list(bucket: String, prefix: String) async throws -> [StoredObject] { try await base.list(bucket: bucket, prefix: prefix) }

    func read(bucket: String, key: String, etag: String, _ consume: @escaping @Sendable (ObjectChunks) async throws -> Void) async throws {
        try await base.read(bucket: bucket, key: key, etag: etag, consume)
    }

    func writer(bucket: String, key: String) -> any ObjectWriter {
        DyingWriter(base: base.writer(bucket: bucket, key: key), killAfter: killAfter)
    }

    func abortUnfinishedUploads(bucket: String, prefix: String) async throws -> Int {
        try await base.abortUnfinishedUploads(bucket: bucket, prefix: prefix)
    }

    final class DyingWriter: ObjectWriter {
        let base: any ObjectWriter
        let killAfter: Int
        var written = 0

        init(base: any ObjectWriter, killAfter: Int) {
            self.base = base
            self.killAfter = killAfter
        }

        func write(_ bytes: [UInt8]) async throws {
            try await base.write(bytes)
            written += bytes.count
            if written > killAfter { throw Killed() }
        }

        func finish() async throws -> WrittenObject { try await base.finish() }
        func abort() async {}  // a dead process aborts nothing
    }
}

/// Storage whose reads end after `limit` bytes, as a cancelled stream may.
struct ShortReadStorage: ObjectStorage {
    let base: any ObjectStorage
    let limit: Int

    func list(bucket: String, prefix: String) async throws -> [StoredObject] { try await base.list(bucket: bucket, prefix: prefix) }

    func read(bucket: String, key: String, etag: String, _ consume: @escaping @Sendable (ObjectChunks) async throws -> Void) async throws {
        let limit = limit
        try await base.read(bucket: bucket, key: key, etag: etag) { chunks in
            let counter = Counter()
            try await consume(ObjectChunks {
                guard counter.value < limit, let chunk = try await chunks.next() else { return nil }
                let allowed = Array(chunk.prefix(limit - counter.value))
                counter.value += allowed.count
                return allowed
            })
        }
    }

    func writer(bucket: String, key: String) -> any ObjectWriter { base.writer(bucket: bucket, key: key) }

    func abortUnfinishedUploads(bucket: String, prefix: String) async throws -> Int {
        try await base.abortUnfinishedUploads(bucket: bucket, prefix: prefix)
    }

    /// Advanced only by the one task reading.
    final class Counter: @unchecked Sendable {
        var value = 0
    }
}

/// This process's resident memory, from /proc (Linux).
enum ProcessMemory {
    /// VmRSS, bytes.
    static func residentBytes() -> Int? { field("VmRSS") }
    /// VmHWM (the peak since start or the last reset), bytes.
    static func peakBytes() -> Int? { field("VmHWM") }
    /// Resets VmHWM to the current size; false where that is not allowed.
    static func resetPeak() -> Bool {
        (try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)) != nil
    }

    private static func field(_ name: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let kib = line.split(separator: " ").dropFirst().first.flatMap { Int($0) }
            return kib.map { $0 * 1024 }
        }
        return nil
    }
}
