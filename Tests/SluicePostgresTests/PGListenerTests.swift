import Foundation
import SluicePostgres
import SluiceTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct PGListenerTests {
    @Test func notify_isDeliveredToTheChannelsStreams() async throws {
        try await PGTest.withPool { pool, database in
            let listener = PGListener(configuration: PGConnectionConfiguration(url: database.url))
            let jobs = NotificationCollector(try await listener.listen("jobs"))
            let jobsAgain = NotificationCollector(try await listener.listen("jobs"))
            let other = NotificationCollector(try await listener.listen("Other Channel"))
            try await pool.notify("jobs", payload: "first")
            try await pool.notify("Other Channel", payload: "it's \"quoted\" ✓")
            try await pool.notify("jobs", payload: "second")
            try await pool.notify("nobody-listens", payload: "ignored")
            // Each stream is fed on its own: wait for all three (CI once saw
            // the second stream one notification behind the first).
            #expect(await PGTest.eventually {
                jobs.payloads.count == 2 && jobsAgain.payloads.count == 2 && other.payloads.count == 1
            })
            #expect(jobs.payloads == ["first", "second"])
            #expect(jobsAgain.payloads == ["first", "second"])
            #expect(other.payloads == ["it's \"quoted\" ✓"])
            await listener.close()
        }
    }

    @Test func endingAStream_unlistensWhenItWasTheLast() async throws {
        try await PGTest.withPool { pool, database in
            let listener = PGListener(configuration: PGConnectionConfiguration(url: database.url, applicationName: "listener-test"))
            let collector = NotificationCollector(try await listener.listen("gone"))
            try await pool.notify("gone", payload: "one")
            #expect(await PGTest.eventually { collector.payloads == ["one"] })
            collector.cancel()
            #expect(await PGTest.eventually { await lastStatementIsUnlisten(pool) })
            await listener.close()
        }
    }

    private func lastStatementIsUnlisten(_ pool: PGPool) async -> Bool {
        let query: PGQuery = """
            SELECT count(*) AS n FROM pg_stat_activity
            WHERE application_name = 'listener-test' AND query LIKE 'UNLISTEN%'
            """
        guard let rows = try? await pool.query(query), let count = try? rows.first?.decode("n", as: Int.self) else { return false }
        return count == 1
    }

    @Test func closedListener_finishesStreamsAndRefusesListen() async throws {
        let database = try await PGTest.database()
        let listener = PGListener(configuration: PGConnectionConfiguration(url: database.url))
        let stream = try await listener.listen("c")
        await listener.close()
        var iterator = stream.makeAsyncIterator()
        #expect(await iterator.next() == nil)
        await #expect {
            _ = try await listener.listen("c")
        } throws: { error in
            (error as? PGError)?.code == .closed
        }
    }

    @Test func listenWithTheServerUnreachable_throwsConnectionFailed() async throws {
        let port = try TestPostgres.freePort()
        let listener = PGListener(configuration: PGConnectionConfiguration(url: "postgres://postgres@127.0.0.1:\(port)/x"))
        await #expect {
            _ = try await listener.listen("c")
        } throws: { error in
            (error as? PGError)?.code == .connectionFailed
        }
        await listener.close()
    }
}
