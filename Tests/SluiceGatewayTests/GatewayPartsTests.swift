import Foundation
import SluiceDomain
import SluiceHTTPClient
@testable import SluiceGateway
import Testing

@Suite struct GatewayPartsTests {
    @Test func sampling_isDeterministicAndNearTheRate() {
        let deployment = UUID()
        let ids = (0..<10_000).map { "req-\($0)" }
        let first = ids.filter { StealthSampler.isSampled(requestID: $0, deployment: deployment, rate: 0.25) }
        let second = ids.filter { StealthSampler.isSampled(requestID: $0, deployment: deployment, rate: 0.25) }
        #expect(first == second)
        #expect((2_200...2_800).contains(first.count))
        #expect(ids.allSatisfy { StealthSampler.isSampled(requestID: $0, deployment: deployment, rate: 1) })
        #expect(!ids.contains { StealthSampler.isSampled(requestID: $0, deployment: deployment, rate: 0) })
    }

    @Test func health_roundRobinsOverHealthyInstancesAndSkipsFailingOnes() {
        let health = InstanceHealth(failureThreshold: 2)
        let target = RouteTarget(
            deploymentID: UUID(), name: "d", model: "m", version: 1, runtime: .torchserve,
            addresses: ["http://a:1", "http://b:1/", "c:1"])
        // Round robin: every pick answered, each instance in turn.
        let picks = (0..<6).map { _ in health.pick(target) }
        #expect(picks.allSatisfy { $0 != nil }, "\(picks)")
        #expect(Set(picks.prefix(3).compactMap { $0 }) == ["http://a:1", "http://b:1", "http://c:1"], "\(picks)")
        #expect(Array(picks.prefix(3)) == Array(picks.suffix(3)), "\(picks)")
        health.recordFailure("http://b:1", for: target.deploymentID)
        health.recordFailure("http://b:1", for: target.deploymentID)
        let healthy = (0..<6).map { _ in health.pick(target) }
        #expect(healthy.allSatisfy { $0 != nil } && Set(healthy.compactMap { $0 }) == ["http://a:1", "http://c:1"], "\(healthy)")
        health.recordProbe("http://b:1", healthy: true)
        #expect(health.isHealthy("http://b:1", for: target.deploymentID))
        health.recordProbe("http://a:1", healthy: false)
        #expect(health.pick(target, excluding: ["http://b:1", "http://c:1"]) == nil)
    }

    /// A challenger failing on a model server it shares with the live
    /// model takes the server away from itself only; a failed health probe
    /// takes it away from both, and a good one gives it back to both.
    @Test func health_callFailuresOfOneDeployment_leaveAnotherOnTheSameServerAlone() {
        let health = InstanceHealth(failureThreshold: 2)
        let server = "http://models:8080"
        func target(_ name: String) -> RouteTarget {
            RouteTarget(deploymentID: UUID(), name: name, model: name, version: 1, runtime: .torchserve, addresses: [server + "/"])
        }
        let live = target("live")
        let challenger = target("challenger")
        for _ in 0..<5 { health.recordFailure(server, for: challenger.deploymentID) }
        #expect(health.pick(challenger) == nil)
        #expect(health.pick(live) == server)
        // A success of the live model does not forgive the challenger.
        health.recordSuccess(server, for: live.deploymentID)
        #expect(health.pick(challenger) == nil)
        health.recordProbe(server, healthy: false)
        #expect(health.pick(live) == nil)
        #expect(health.hasFailedProbe(server))
        // A call that was in flight and succeeds shows the server works.
        health.recordSuccess(server, for: live.deploymentID)
        #expect(health.pick(live) == server)
        health.recordProbe(server, healthy: false)
        health.recordProbe(server, healthy: true)
        #expect(health.pick(live) == server)
        #expect(health.pick(challenger) == server)
        // Forgetting an instance forgets its failures too.
        for _ in 0..<2 { health.recordFailure(server, for: live.deploymentID) }
        health.retain(only: [])
        #expect(health.pick(live) == server)
    }

    @Test func journalRecords_roundTripEveryKindOfOutput() {
        let at = Date(timeIntervalSince1970: 1_700_000_000.123)
        let predictions = [
            Prediction(deploymentID: UUID(), requestID: "a", output: .number(1.5), latencyMS: 2, at: at, status: 200),
            Prediction(deploymentID: UUID(), requestID: "b", output: .label("x", probabilities: ["x": 0.9]), latencyMS: 3, at: at, status: 200),
            Prediction(deploymentID: UUID(), requestID: "c", output: nil, latencyMS: 4, at: at, status: 0),
            Prediction(deploymentID: UUID(), requestID: "d", output: .label("say \"hé\" \\ 🐟", probabilities: ["a\tb": 1e-7]),
                       latencyMS: 0.123456789, at: at, status: nil),
        ]
        let bytes = (try? JournalRecord.encode(predictions)) ?? []
        let (decoded, damaged) = JournalRecord.decode(bytes + Array("{broken\n".utf8))
        #expect(decoded == predictions)
        #expect(damaged == 1)
    }

    @Test func uploader_dropsEveryItemOfAGoneDeploymentAndOnlyThose() {
        let gone = UUID()
        let kept = UUID()
        let at = Date()
        let batch = (0..<6).map { index in
            Prediction(deploymentID: index.isMultiple(of: 2) ? gone : kept, requestID: "r\(index)", output: .number(1),
                       latencyMS: 1, at: at, status: 200)
        }
        // The store names only the first offending item of a deployment (it caps its list).
        let remaining = JournalUploader.removingRefused(batch, [.init(field: "[0].deployment_id", reason: "no such deployment")])
        #expect(remaining.map(\.requestID) == ["r1", "r3", "r5"])
        #expect(JournalUploader.removingRefused(batch, [.init(field: "name", reason: "?")]).isEmpty)
    }

    @Test func journal_writesSegmentsInOrderAndContinuesNumberingAfterARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try Journal(directory: directory, sealAfter: 1)
        try await journal.append(Array("one\n".utf8))
        try await journal.append(Array("two\n".utf8))
        _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("segment-9.jsonl.tmp").path, contents: Data())
        let reopened = try Journal(directory: directory, sealAfter: 1)
        try await reopened.append(Array("three\n".utf8))
        let segments = await reopened.segments()
        #expect(segments.count == 3)
        var texts: [String] = []
        for segment in segments { texts.append(String(decoding: try await reopened.read(segment), as: UTF8.self)) }
        #expect(texts == ["one\n", "two\n", "three\n"])
        try await reopened.remove(segments[0])
        #expect(await reopened.segments().count == 2)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("segment-9.jsonl.tmp").path))
    }

    @Test func journal_appendsToOneOpenSegment_andASegmentLeftOpenByACrashIsSealedAtStart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try Journal(directory: directory, sealAfter: 100)
        try await journal.append(Array("a\n".utf8))
        try await journal.append(Array("b\n".utf8))
        #expect(await journal.segments().isEmpty)
        // A crash: the process is gone with its segment open.
        let reopened = try Journal(directory: directory, sealAfter: 100)
        let segments = await reopened.segments()
        #expect(segments.count == 1)
        #expect(String(decoding: try await reopened.read(segments[0]), as: UTF8.self) == "a\nb\n")
        try await reopened.append(Array("c\n".utf8))
        try await reopened.seal()
        #expect(await reopened.segments().count == 2)
    }

    @Test func journal_unsyncedAppends_areInTheFileAtOnce_andDetachedSegmentsAreSealedInOrder() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let journal = try Journal(directory: directory, sealAfter: 1)
        // sealAfter counts synced appends only: unsynced ones never seal on their own.
        try journal.appendUnsynced(Array("a\n".utf8))
        try journal.appendUnsynced(Array("b\n".utf8))
        let open = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(open.count == 1 && open[0].hasSuffix(".open"))
        #expect(FileManager.default.contents(atPath: directory.appendingPathComponent(open[0]).path) == Data("a\nb\n".utf8))
        // Taken out of use, the next append opens a new segment; the old one
        // is listed only once sealed, and both keep their order.
        journal.detach()
        try journal.appendUnsynced(Array("c\n".utf8))
        journal.detach()
        #expect(await journal.segments().isEmpty)
        try await journal.sealDetached()
        let segments = await journal.segments()
        #expect(segments.count == 2)
        #expect(String(decoding: try await journal.read(segments[0]), as: UTF8.self) == "a\nb\n")
        #expect(String(decoding: try await journal.read(segments[1]), as: UTF8.self) == "c\n")
        // Too young to be taken out of use.
        try journal.appendUnsynced(Array("d\n".utf8))
        journal.detach(olderThan: .seconds(3600))
        try await journal.sealDetached()
        #expect(await journal.segments().count == 2)
    }

    @Test func journal_keepsWhatThisProcessWrote_upToItsLimit_andAfterARestartReadsTheFile() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("journal-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let at = Date(timeIntervalSince1970: 1_700_000_000)
        let batch = (0..<3).map { Prediction(deploymentID: UUID(), requestID: "k\($0)", output: .number(1), latencyMS: 1, at: at, status: 200) }
        let journal = try Journal(directory: directory, sealAfter: 100, keepInMemory: 4)
        try await journal.append(try JournalRecord.encode(batch), predictions: batch)
        try await journal.append(try JournalRecord.encode(batch), predictions: batch)
        try await journal.seal()
        // Past the limit of 4: the second append was not kept, so the whole segment is read.
        try await journal.append(try JournalRecord.encode(batch), predictions: batch)
        try await journal.seal()
        let segments = await journal.segments()
        #expect(segments.count == 2)
        #expect(journal.predictions(of: segments[0]) == nil)
        #expect(journal.predictions(of: segments[1]) == batch)
        try await journal.remove(segments[1])
        #expect(journal.predictions(of: segments[1]) == nil)
        let reopened = try Journal(directory: directory, sealAfter: 100)
        #expect(reopened.predictions(of: segments[0]) == nil)
        #expect(JournalRecord.decode(try await reopened.read(segments[0])).predictions == batch + batch)
    }
    /// Two spellings of one address are one instance, so a retry after a
    /// refused connect cannot go back to it; URLs follow the runtime.
    @Test func preparedTarget_hasEachInstanceOnce_withItsInferenceURL() {
        let target = RouteTarget(
            deploymentID: UUID(), name: "d", model: "fraud", version: 3, runtime: .oip,
            addresses: ["http://h:1", "http://h:1/", "h:1", "http://b:2"])
        let prepared = PreparedTarget(target, mode: "live", endpoint: "eu-west-1/score")
        #expect(prepared.instances == ["http://h:1", "http://b:2"])
        #expect(prepared.urls == ["http://h:1/v2/models/fraud/infer", "http://b:2/v2/models/fraud/infer"])
        #expect(prepared.versionText == "3")
        #expect(prepared.deploymentIDText == target.deploymentID.uuidString.lowercased())

        let health = InstanceHealth(failureThreshold: 1)
        var attempt = Attempt(target: prepared, body: [], contentType: nil, requestID: "r", maxAnswer: 10)
        let first = attempt.next(health)
        let second = attempt.next(health)
        #expect(Set([first?.url, second?.url]) == Set(prepared.urls))
        #expect(attempt.next(health) == nil)
    }

    /// A reload keeps the preparation of an unchanged document and
    /// prepares a changed one again.
    @Test func routeTable_keepsUnchangedRoutes_acrossReloads() throws {
        func document(_ endpoint: String, version: Int) -> RoutingDocument {
            RoutingDocument(
                region: "eu-west-1", endpoint: endpoint,
                live: RouteTarget(
                    deploymentID: UUID(uuidString: "00000000-0000-0000-0000-00000000000\(version)") ?? UUID(), name: "live",
                    model: "m", version: version, runtime: .torchserve, addresses: ["http://127.0.0.1:1"]),
                stealth: [])
        }
        let table = RouteTable()
        #expect(!table.isLoaded)
        table.replace([document("a", version: 1), document("b", version: 1)])
        let a = try #require(table.route(region: "eu-west-1", endpoint: "a"))
        let b = try #require(table.route(region: "eu-west-1", endpoint: "b"))
        table.replace([document("a", version: 1), document("b", version: 2)])
        #expect(table.route(region: "eu-west-1", endpoint: "a") === a)
        let changed = try #require(table.route(region: "eu-west-1", endpoint: "b"))
        #expect(changed !== b)
        #expect(changed.live?.versionText == "2")
        #expect(table.route(region: "eu-west-2", endpoint: "a") == nil)
        table.replace([])
        #expect(table.route(region: "eu-west-1", endpoint: "a") == nil)
        #expect(table.isLoaded)
    }
}
