import Foundation
import SluicePostgres
import SluiceTesting
import Testing

/// Each test restarts its own private server, so the shared one is never disturbed.
@Suite(.timeLimit(.minutes(1))) struct PGRestartTests {
    @Test func pool_recoversByItselfAfterTheServerRestarts() async throws {
        let server = try await TestPostgres.launch()
        let database = try await server.createDatabase()
        try await PGTest.withPool(maxConnections: 3, database: database) { pool, _ in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { try await pool.query("SELECT pg_sleep(0.05)") } }
                try await group.waitForAll()
            }
            #expect(pool.openConnections == 3)

            try await server.stop()
            await #expect {
                try await pool.query("SELECT 1")
            } throws: { error in
                [.connectionFailed, .connectionLost].contains((error as? PGError)?.code)
            }
            try await server.start()

            // Every idle connection is dead; each checkout notices and replaces it.
            for _ in 0..<10 {
                #expect(try await pool.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
            }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 { group.addTask { try await pool.query("SELECT pg_sleep(0.01)") } }
                try await group.waitForAll()
            }
            #expect(pool.openConnections <= 3)
        }
        await server.destroy()
    }

    @Test func listener_keepsDeliveringAfterTheServerRestarts() async throws {
        let server = try await TestPostgres.launch()
        let database = try await server.createDatabase()
        let listener = PGListener(configuration: PGConnectionConfiguration(url: database.url), maxReconnectDelay: .milliseconds(500))
        let collector = NotificationCollector(try await listener.listen("events"))
        try await PGTest.withPool(maxConnections: 2, database: database) { pool, _ in
            try await pool.notify("events", payload: "before")
            #expect(await PGTest.eventually { collector.payloads == ["before"] })

            try await server.stop()
            try await server.start()

            // Notifications sent before the listener is back are lost (PostgreSQL
            // keeps none), so keep sending until one arrives.
            var delivered = false
            let deadline = ContinuousClock.now + .seconds(20)
            var sent = 0
            while !delivered, ContinuousClock.now < deadline {
                sent += 1
                try? await pool.notify("events", payload: "after-\(sent)")
                try await Task.sleep(for: .milliseconds(50))
                delivered = collector.payloads.count > 1
            }
            #expect(delivered)
            let payloads = collector.payloads
            #expect(payloads.first == "before")
            #expect(payloads.dropFirst().allSatisfy { $0.hasPrefix("after-") })
            #expect(Set(payloads).count == payloads.count)  // nothing twice

            try await pool.notify("events", payload: "final")
            #expect(await PGTest.eventually { collector.payloads.last == "final" })
        }
        await listener.close()
        await server.destroy()
    }
}
