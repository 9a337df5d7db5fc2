import Foundation
import SluicePostgres
import Synchronization
import SluiceTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct PGPoolTests {
    @Test func manyConcurrentQueries_shareASmallPool() async throws {
        try await PGTest.withPool(maxConnections: 4) { pool, _ in
            let sum = try await withThrowingTaskGroup(of: Int.self) { group in
                for i in 1...200 {
                    group.addTask {
                        try await pool.query("SELECT \(i)::int AS i, pg_backend_pid() AS pid").first?.decode("i", as: Int.self) ?? 0
                    }
                }
                return try await group.reduce(0, +)
            }
            #expect(sum == 200 * 201 / 2)
            #expect(pool.openConnections <= 4)
            let backends = try await pool.query("SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database()")
            #expect(try backends.first?.decode("n", as: Int.self) ?? 0 <= 4)
        }
    }

    @Test func connections_openLazily() async throws {
        try await PGTest.withPool(maxConnections: 4) { pool, _ in
            #expect(pool.openConnections == 0)
            try await pool.query("SELECT 1")
            #expect(pool.openConnections == 1)
            try await pool.query("SELECT 1")
            #expect(pool.openConnections == 1)  // reused
        }
    }

    @Test func oversubscribedBeyondTheWaitTimeout_failsWithPoolExhausted() async throws {
        try await PGTest.withPool(maxConnections: 1, acquireTimeout: .milliseconds(200)) { pool, _ in
            let (holder, gate) = await PGTest.holdConnection(of: pool)
            let started = ContinuousClock.now
            await #expect {
                try await pool.query("SELECT 1")
            } throws: { error in
                (error as? PGError)?.code == .poolExhausted
            }
            #expect(ContinuousClock.now - started >= .milliseconds(190))
            #expect(pool.waitingCount == 0)
            gate.open()
            try await holder.value
            try await pool.query("SELECT 1")  // free again
        }
    }

    /// One sweep serves the whole queue: waiters that arrive at different
    /// times each give up at their own deadline, not the first one's.
    @Test func staggeredWaiters_eachTimeOutAtTheirOwnDeadline() async throws {
        try await PGTest.withPool(maxConnections: 1, acquireTimeout: .milliseconds(400)) { pool, _ in
            let (holder, gate) = await PGTest.holdConnection(of: pool)
            let start = ContinuousClock.now
            var waiters: [Task<Duration, Never>] = []
            for index in 0..<3 {
                waiters.append(Task {
                    try? await Task.sleep(until: start + .milliseconds(150 * index))
                    let began = ContinuousClock.now
                    do {
                        try await pool.query("SELECT 1")
                    } catch {
                        #expect((error as? PGError)?.code == .poolExhausted)
                    }
                    return ContinuousClock.now - began
                })
            }
            for waiter in waiters {
                let waited = await waiter.value
                #expect(waited >= .milliseconds(390))
                #expect(waited < .milliseconds(900))
            }
            #expect(pool.waitingCount == 0)
            gate.open()
            try await holder.value
            try await pool.query("SELECT 1")
        }
    }

    @Test func waiters_areServedInArrivalOrder() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            let (holder, gate) = await PGTest.holdConnection(of: pool)
            let order = Locked<[Int]>([])
            var waiters: [Task<Void, any Error>] = []
            for i in 0..<5 {
                waiters.append(Task { try await pool.withConnection { _ in order.update { $0.append(i) } } })
                _ = await PGTest.eventually { pool.waitingCount == i + 1 }  // queued before the next arrives
            }
            #expect(order.value.isEmpty)
            gate.open()
            try await holder.value
            for waiter in waiters { try await waiter.value }
            #expect(order.value == [0, 1, 2, 3, 4])
        }
    }

    @Test func cancelledWaiter_leavesTheQueue() async throws {
        try await PGTest.withPool(maxConnections: 1, acquireTimeout: .seconds(30)) { pool, _ in
            let (holder, gate) = await PGTest.holdConnection(of: pool)
            let waiter = Task { try await pool.query("SELECT 1") }
            _ = await PGTest.eventually { pool.waitingCount == 1 }
            waiter.cancel()
            _ = await PGTest.eventually { pool.waitingCount == 0 }
            await #expect(throws: CancellationError.self) { try await waiter.value }
            gate.open()
            try await holder.value
            try await pool.query("SELECT 1")
            #expect(pool.openConnections == 1)
        }
    }

    @Test func closedPool_refusesNewWork() async throws {
        let database = try await PGTest.database()
        let pool = PGPool(configuration: PGPoolConfiguration(url: database.url))
        try await pool.query("SELECT 1")
        await pool.close()
        #expect(pool.openConnections == 0)
        await #expect {
            try await pool.query("SELECT 1")
        } throws: { error in
            (error as? PGError)?.code == .closed
        }
    }

    @Test func connectionClosedByTheServer_isReplacedOnCheckout() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            let pid = try await pool.query("SELECT pg_backend_pid() AS pid").first?.decode("pid", as: Int32.self)
            // Kill the pooled backend from another connection.
            try await PGTest.withPool(maxConnections: 1) { other, _ in
                try await other.query("SELECT pg_terminate_backend(\(pid ?? 0))")
            }
            _ = await PGTest.eventually {
                let rows = try? await PGTest.withPool { other, _ in
                    try await other.query("SELECT 1 FROM pg_stat_activity WHERE pid = \(pid ?? 0)")
                }
                return rows?.isEmpty == true
            }
            let newPID = try await pool.query("SELECT pg_backend_pid() AS pid").first?.decode("pid", as: Int32.self)
            #expect(newPID != nil && newPID != pid)
        }
    }

    @Test(arguments: ["socket-query", "socket-host"])
    func unixSocketURLs_connect(form: String) async throws {
        let database = try await PGTest.database()
        let url = form == "socket-query"
            ? database.socketURL
            : "postgresql://postgres@\(database.socketDirectory.replacingOccurrences(of: "/", with: "%2F")):\(database.port)/\(database.name)"
        let pool = PGPool(configuration: PGPoolConfiguration(url: url))
        let rows = try await pool.query("SELECT current_database() AS db, inet_server_addr() IS NULL AS local")
        #expect(try rows.first?.decode("db", as: String.self) == database.name)
        #expect(try rows.first?.decode("local", as: Bool.self) == true)  // not TCP
        await pool.close()
    }

    @Test func sessionSettings_areUTCAndConfigurable() async throws {
        try await PGTest.withPool(statementTimeout: .milliseconds(1500)) { pool, _ in
            let row = try #require(try await pool.query("SELECT current_setting('TimeZone') AS tz, current_setting('statement_timeout') AS st").first)
            #expect(try row.decode("tz", as: String.self) == "UTC")
            #expect(try row.decode("st", as: String.self) == "1500ms")
            #expect(try await pool.query("SELECT current_setting('jit') AS jit").first?.decode("jit", as: String.self) == "off")
        }
        let database = try await PGTest.database()
        let pool = PGPool(configuration: PGPoolConfiguration(connection: PGConnectionConfiguration(url: database.url, jit: true)))
        let jit: String?
        do {
            jit = try await pool.query("SELECT current_setting('jit') AS jit").first?.decode("jit", as: String.self)
        } catch {
            await pool.close()
            throw error
        }
        await pool.close()
        #expect(jit == "on")
    }
}
