import Foundation
import Synchronization
import SluiceTesting
import Testing

/// The gateway with the database stopped and the gateway restarted: on a
/// private PostgreSQL this test may stop (the shared one is never stopped).
@Suite(.timeLimit(.minutes(3))) struct GatewayOutageTests {
    @Test func databaseOutageAndRestart_loseNothing_andStoreEveryPredictionOnce() async throws {
        let postgres = try await TestPostgres.launch()
        do {
            try await Self.outageAndRestart(postgres)
        } catch {
            // The private cluster goes on every path, not only on success.
            await postgres.destroy()
            throw error
        }
        await postgres.destroy()
    }

    static func outageAndRestart(_ postgres: TestPostgres) async throws {
        let server = try await APIServer.start(database: try await postgres.createDatabase())
        defer { server.stop() }
        try await server.seedModelVersion(model: "fraud")
        let journal = try GatewayHarness.journalDirectory()
        defer { try? FileManager.default.removeItem(at: journal) }
        let live = FakeModel(answer: #""cat""#)
        let shadow = FakeModel(answer: #""dog""#)
        try await FakeModel.serving([live, shadow]) { ports in
            _ = try GatewayHarness.deploy(server, "live", model: "fraud", mode: "live", endpoint: "score", urls: ["http://127.0.0.1:\(ports[0])"])
            _ = try GatewayHarness.deploy(server, "shadow", model: "fraud", mode: "stealth", endpoint: "score", urls: ["http://127.0.0.1:\(ports[1])"])
            let first = try await GatewayHarness.start(database: server.database, journal: journal)
            var ids: [String] = []
            func send(_ count: Int, through gateway: SluiceProcess) throws {
                for _ in 0..<count {
                    let id = "req-\(ids.count)"
                    let (response, _) = try GatewayHarness.predict(port: gateway.port, endpoint: "score", body: "{}", requestID: id)
                    #expect(response.status == 200, "\(response)")
                    ids.append(id)
                }
            }
            try send(10, through: first)
            #expect(try await GatewayHarness.eventually { try await GatewayHarness.predictions(server).count == 20 })

            // Database down: the last routes keep answering, the journal grows.
            try await postgres.stop()
            try send(20, through: first)
            let segments = await GatewayHarness.eventually {
                ((try? FileManager.default.contentsOfDirectory(atPath: journal.path)) ?? []).contains { $0.hasPrefix("segment-") }
            }
            #expect(segments)
            // A graceful stop writes whatever is still queued to the journal.
            #expect(first.terminate() == 0)

            // The database returns; a new gateway replays the journal.
            try await postgres.start()
            let second = try await GatewayHarness.start(database: server.database, journal: journal)
            defer { second.terminate() }
            try send(5, through: second)
            var counts: [String] = []
            let stored = await GatewayHarness.eventually(timeout: .seconds(20)) {
                do {
                    let n = try await GatewayHarness.predictions(server).count
                    counts.append("\(n)")
                    return n == 70
                } catch {
                    counts.append("\(error)")
                    return false
                }
            }
            #expect(stored, "\(counts.suffix(5))")
            #expect(stored, "\(first.standardError)\n---\n\(second.standardError)")
            let rows = try await GatewayHarness.predictions(server)
            #expect(rows.count == 70, "\(rows.map { "\($0.name)/\($0.request)" })")
            #expect(Set(rows.map { "\($0.name)/\($0.request)" }).count == 70)
            #expect(Set(rows.map(\.request)) == Set(ids))
            #expect(((try? FileManager.default.contentsOfDirectory(atPath: journal.path)) ?? []).isEmpty)
        }
    }

    /// Both acknowledgements that promise to survive `kill -9`: the synced
    /// one, and the default that only writes (decision 63).
    @Test(arguments: ["fsync", "write"])
    func killedUnderLoad_restartReplaysTheJournal_everyAcknowledgedPredictionStoredOnce(acknowledgement: String) async throws {
        let server = try await APIServer.start()
        defer { server.stop() }
        try await server.seedModelVersion(model: "fraud")
        let journal = try GatewayHarness.journalDirectory()
        defer { try? FileManager.default.removeItem(at: journal) }
        let live = FakeModel(answer: "0.25")
        try await FakeModel.serving([live]) { ports in
            _ = try GatewayHarness.deploy(server, "live", model: "fraud", mode: "live", endpoint: "score", urls: ["http://127.0.0.1:\(ports[0])"])
            let first = try await GatewayHarness.start(
                database: server.database, journal: journal, environment: ["SLUICE_GATEWAY_DURABLE_ACK": acknowledgement])
            let port = first.port
            // Four clients (threads: their calls block) send as fast as they
            // can; the gateway is killed mid-stream.
            let acknowledgedByClients = Mutex<[String]>([])
            let done = DispatchGroup()
            for client in 0..<4 {
                done.enter()
                Thread {
                    for index in 0..<5_000 {
                        let id = "k\(client)-\(index)"
                        guard let (response, _) = try? GatewayHarness.predict(port: port, endpoint: "score", body: "{}", requestID: id)
                        else { break }
                        if response.status == 200 { acknowledgedByClients.withLock { $0.append(id) } }
                    }
                    done.leave()
                }.start()
            }
            // Killed once some answers were acknowledged (a fixed sleep
            // could end before any on a slow disk), while the load runs.
            let deadline = ContinuousClock.now + .seconds(30)
            while acknowledgedByClients.withLock({ $0.count }) < 200 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            kill(first.process.processIdentifier, SIGKILL)
            await withCheckedContinuation { continuation in done.notify(queue: .global()) { continuation.resume() } }
            let acknowledged = acknowledgedByClients.withLock { $0 }
            #expect(acknowledged.count >= 200)
            #expect(acknowledged.count < 20_000, "the gateway was killed after the load ended")

            let second = try await GatewayHarness.start(database: server.database, journal: journal)
            defer { second.terminate() }
            var stored: [String] = []
            let complete = await GatewayHarness.eventually(timeout: .seconds(20)) {
                stored = ((try? await GatewayHarness.predictions(server)) ?? []).map(\.request)
                return Set(acknowledged).isSubset(of: Set(stored))
            }
            #expect(complete, "\(Set(acknowledged).subtracting(stored).count) of \(acknowledged.count) acknowledged predictions missing")
            #expect(stored.count == Set(stored).count)
        }
    }
}
