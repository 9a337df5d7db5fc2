import Foundation
import Logging
import SluiceDomain
@testable import SluiceGateway
import Testing

@Suite struct PredictionRecorderTests {
    func withJournal<T>(_ body: (Journal, URL) async throws -> T) async throws -> T {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("recorder-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        return try await body(try Journal(directory: directory, sealAfter: 1), directory)
    }

    func stored(_ journal: Journal) async throws -> [Prediction] {
        var all: [Prediction] = []
        for segment in await journal.segments() { all += JournalRecord.decode(try await journal.read(segment)).predictions }
        return all
    }

    static func prediction(_ id: String) -> Prediction {
        Prediction(deploymentID: UUID(), requestID: id, output: .number(1), latencyMS: 1, at: Date(), status: 200)
    }

    @Test func durableRecords_areInTheJournalWhenTheCallReturns_inFewerWritesThanRecords() async throws {
        try await withJournal { journal, _ in
            // A flush interval far away: only the durable path writes.
            let recorder = PredictionRecorder(
                journal: journal, capacity: 1_000, batchSize: 1_000, flushInterval: .seconds(3600), logger: Logger(label: "test"))
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { await recorder.recordDurably(Self.prediction("r\(index)")) }
                }
            }
            // Sealing makes the open segment visible; the records were on disk already.
            await recorder.flush()
            let records = try await stored(journal)
            #expect(Set(records.map(\.requestID)) == Set((0..<200).map { "r\($0)" }))
            #expect(records.count == 200)
            #expect(await journal.segments().count < 200)
            #expect(recorder.queueDepth == 0)
        }
    }

    /// `.write`: when the call returns, the record is in the open segment's
    /// file (what a `kill -9` leaves behind), before any flush or seal.
    @Test func writtenRecords_areInTheOpenSegmentFileWhenTheCallReturns() async throws {
        try await withJournal { journal, directory in
            let recorder = PredictionRecorder(
                journal: journal, capacity: 1_000, batchSize: 1_000, flushInterval: .seconds(3600),
                acknowledgement: .write, logger: Logger(label: "test"))
            await withTaskGroup(of: Void.self) { group in
                for index in 0..<200 {
                    group.addTask { recorder.recordWritten(Self.prediction("w\(index)")) }
                }
            }
            #expect(await journal.segments().isEmpty, "nothing sealed yet")
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            #expect(names.count == 1 && names[0].hasSuffix(".jsonl.open"), "\(names)")
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(names[0])))
            #expect(Set(JournalRecord.decode(bytes).predictions.map(\.requestID)) == Set((0..<200).map { "w\($0)" }))
            // A restart finds them.
            let reopened = try Journal(directory: directory)
            #expect(try await stored(reopened).count == 200)
        }
    }

    @Test func aFullQueue_dropsInsteadOfWaiting_andFlushWritesTheRestInBatches() async throws {
        try await withJournal { journal, _ in
            let recorder = PredictionRecorder(
                journal: journal, capacity: 25, batchSize: 10, flushInterval: .seconds(3600), logger: Logger(label: "test"))
            let accepted = (0..<30).compactMap { recorder.record(Self.prediction("q\($0)")) }
            #expect(accepted.count == 25)
            await recorder.flush()
            #expect(await journal.segments().count == 3)
            let ids = try await stored(journal).map(\.requestID)
            #expect(ids == (0..<25).map { "q\($0)" })
        }
    }
}
