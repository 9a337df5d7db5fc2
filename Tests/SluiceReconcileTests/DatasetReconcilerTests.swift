import Foundation
import SluiceAWS
import SluiceDomain
import SluiceReconcile
import SluiceRecords
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
