import Foundation
@testable import SluiceApp
import SluicePostgres
import SluiceSockets
import SluiceTesting
import Synchronization
import Testing

/// Statements of tasks running on an event loop wait on that loop
/// (`EventLoopSocketWaiter`, decision 52) instead of the connection's queue:
/// the same answers, errors, timeouts and cancellation, against a real
/// PostgreSQL.
@Suite(.timeLimit(.minutes(2))) struct EventLoopSocketWaiterTests {
    /// `EventLoopSocketWaiter`, counting the waits it served.
    final class CountingWaiter: PGSocketWaiter {
        let inner = EventLoopSocketWaiter()
        let reads = Atomic<Int>(0)
        let writes = Atomic<Int>(0)
        var canWait: Bool { inner.canWait }
        func wait(fd: Int32, forWriting: Bool) async throws {
            if forWriting { writes.wrappingAdd(1, ordering: .relaxed) } else { reads.wrappingAdd(1, ordering: .relaxed) }
            try await inner.wait(fd: fd, forWriting: forWriting)
        }
    }

    final class Box: Sendable {
        let waiter = CountingWaiter()
    }

    static func pool(_ database: TestDatabase, _ box: Box, size: Int = 4, statementTimeout: Duration? = .seconds(30)) -> PGPool {
        var configuration = PGPoolConfiguration(
            connection: PGConnectionConfiguration(url: database.url, statementTimeout: statementTimeout), maxConnections: size)
        configuration.socketWaiter = box.waiter
        return PGPool(configuration: configuration)
    }

    /// Runs `body` in a task that prefers `loop`, as the HTTP server's handlers do.
    static func onLoop<T: Sendable>(_ loop: EventLoop, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await Task(executorPreference: loop) { try await body() }.value
    }

    /// COPY through `query` on a loop is refused, as on the queue, instead
    /// of spinning the loop forever (libpq hands out a COPY result on every
    /// call); the connection is usable afterwards.
    @Test func copyThroughQuery_onALoop_isRefused() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let box = Box()
        let pool = Self.pool(database, box, size: 1)
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        try await pool.query("CREATE TABLE rows (id int)")
        for sql in ["COPY rows FROM STDIN", "COPY rows TO STDOUT"] {
            let refused = try await Self.onLoop(group.loops[0]) { () -> Bool in
                do {
                    _ = try await pool.query(PGQuery(unsafeSQL: sql))
                    return false
                } catch {
                    return true
                }
            }
            #expect(refused, "\(sql)")
        }
        let count = try await Self.onLoop(group.loops[0]) { try await pool.query("SELECT count(*) AS n FROM rows") }
        #expect(try count.first?.decode("n", as: Int.self) == 0)
        await pool.close()
    }

    @Test func statementsOnALoopWaitThereAndAnswerAsOnTheQueue() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let box = Box()
        let pool = Self.pool(database, box)
        let group = try EventLoopGroup(count: 2)
        defer { group.shutdown() }

        // Off the loops: the queue, no waits.
        #expect(try await pool.query("SELECT 1 AS one").first?.decode("one", as: Int.self) == 1)
        #expect(box.waiter.reads.load(ordering: .relaxed) == 0)

        let rows = try await Self.onLoop(group.loops[0]) {
            #expect(EventLoop.current === group.loops[0])
            return try await pool.query("SELECT g AS n, \("x'; DROP TABLE t; --")::text AS s FROM generate_series(1, 3) g")
        }
        #expect(try rows.map { try $0.decode("n", as: Int.self) } == [1, 2, 3])
        #expect(try rows.first?.decode("s", as: String.self) == "x'; DROP TABLE t; --")
        #expect(box.waiter.reads.load(ordering: .relaxed) >= 1)

        // Many at once over both loops, 4 connections: every answer its own.
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for index in 0..<200 {
                tasks.addTask {
                    let value = try await Self.onLoop(group.loops[index % 2]) {
                        try await pool.query("SELECT \(index)::int AS v, pg_sleep(0.001)").first?.decode("v", as: Int.self)
                    }
                    #expect(value == index)
                }
            }
            try await tasks.waitForAll()
        }
        #expect(pool.openConnections <= 4)

        // A transaction on a loop: BEGIN, statements and COMMIT all on it.
        try await Self.onLoop(group.loops[1]) {
            try await pool.query("CREATE TABLE t (v int)")
            _ = try await pool.withTransaction { connection in
                try await connection.query("INSERT INTO t VALUES (1), (2)")
            }
        }
        #expect(try await pool.query("SELECT count(*) AS n FROM t").first?.decode("n", as: Int.self) == 2)
        await pool.close()
    }

    @Test func largeParametersAndResultsCrossInSeveralWaits() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let box = Box()
        let pool = Self.pool(database, box)
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let big = String(repeating: "abcdefgh", count: 2_000_000)  // 16 MB, far beyond a socket buffer
        let length = try await Self.onLoop(group.loops[0]) {
            try await pool.query("SELECT length(\(big)) AS n").first?.decode("n", as: Int.self)
        }
        #expect(length == big.utf8.count)
        #expect(box.waiter.writes.load(ordering: .relaxed) >= 1)
        let rows = try await Self.onLoop(group.loops[0]) {
            try await pool.query("SELECT g AS n, repeat('x', 100) AS pad FROM generate_series(1, 100000) g")
        }
        #expect(rows.count == 100_000)
        #expect(try rows.last?.decode("n", as: Int.self) == 100_000)
        await pool.close()
    }

    @Test func errorsTimeoutsAndCancellationLeaveTheConnectionUsable() async throws {
        let database = try await TestPostgres.shared().createDatabase()
        let box = Box()
        let pool = Self.pool(database, box, size: 1, statementTimeout: .milliseconds(300))
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let loop = group.loops[0]

        await #expect { try await Self.onLoop(loop) { try await pool.query("SELECT * FROM no_such_table") } } throws: { error in
            (error as? PGError)?.code == .queryFailed && (error as? PGError)?.sqlState == "42P01"
        }
        await #expect { try await Self.onLoop(loop) { try await pool.query("SELECT pg_sleep(5)") } } throws: { error in
            (error as? PGError)?.code == .timeout
        }
        // Cancelled while the server works: cancelled there, and quickly.
        let started = ContinuousClock.now
        let sleeper = Task(executorPreference: loop) { try await pool.query("SELECT pg_sleep(0.25), pg_sleep(0.25), 1") }
        try await Task.sleep(for: .milliseconds(100))
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(ContinuousClock.now - started < .milliseconds(450))
        // The one connection still serves, on and off the loop.
        #expect(try await Self.onLoop(loop) { try await pool.query("SELECT 2 AS n").first?.decode("n", as: Int.self) } == 2)
        #expect(try await pool.query("SELECT 3 AS n").first?.decode("n", as: Int.self) == 3)
        #expect(pool.openConnections == 1)
        await pool.close()
    }

    @Test func aServerGoneMidStatementIsConnectionLost() async throws {
        let server = try await TestPostgres.launch()
        let database = try await server.createDatabase()
        let box = Box()
        let pool = Self.pool(database, box, size: 2)
        let group = try EventLoopGroup(count: 1)
        defer { group.shutdown() }
        let sleeper = Task(executorPreference: group.loops[0]) { try await pool.query("SELECT pg_sleep(10)") }
        try await Task.sleep(for: .milliseconds(200))
        try await server.stop()
        await #expect { try await sleeper.value } throws: { error in
            [.connectionLost, .queryFailed].contains((error as? PGError)?.code)
        }
        try await server.start()
        let value = try await Self.onLoop(group.loops[0]) {
            try await pool.query("SELECT 5 AS n").first?.decode("n", as: Int.self)
        }
        #expect(value == 5)
        await pool.close()
        await server.destroy()
    }
}
