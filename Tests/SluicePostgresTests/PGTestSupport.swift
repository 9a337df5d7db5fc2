import Foundation
import SluicePostgres
import SluiceTesting
import Synchronization

/// Pools on fresh databases of the shared test server, always closed.
enum PGTest {
    /// A new database on the shared server.
    static func database() async throws -> TestDatabase {
        try await TestPostgres.shared().createDatabase()
    }

    /// Runs `body` with a pool on a fresh database, and closes the pool.
    @discardableResult
    static func withPool<T>(
        maxConnections: Int = 4,
        acquireTimeout: Duration = .seconds(10),
        statementTimeout: Duration? = .seconds(30),
        database: TestDatabase? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (PGPool, TestDatabase) async throws -> T
    ) async throws -> T {
        let database = if let database { database } else { try await Self.database() }
        let pool = PGPool(configuration: PGPoolConfiguration(
            connection: PGConnectionConfiguration(url: database.url, statementTimeout: statementTimeout),
            maxConnections: maxConnections,
            acquireTimeout: acquireTimeout
        ))
        do {
            let result = try await body(pool, database)
            await pool.close()
            return result
        } catch {
            await pool.close()
            throw error
        }
    }

    /// Takes a connection of `pool` in a task that keeps it until the gate
    /// opens; returns once it holds it.
    static func holdConnection(of pool: PGPool) async -> (Task<Void, any Error>, Gate) {
        let gate = Gate()
        let holding = Gate()
        let holder = Task {
            try await pool.withConnection { _ in
                holding.open()
                await gate.wait()
            }
        }
        await holding.wait()
        return (holder, gate)
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    static func eventually(
        timeout: Duration = .seconds(10),
        _ condition: () async throws -> Bool
    ) async rethrows -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return try await condition()
    }
}

/// A value behind a mutex, shareable between tasks.
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    var value: Value { mutex.withLock { $0 } }

    func update<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
}

/// Notifications gathered by a background task, for polling assertions.
final class NotificationCollector: Sendable {
    private let received = Locked<[PGNotification]>([])
    private let task: Task<Void, Never>

    init(_ stream: AsyncStream<PGNotification>) {
        let received = self.received
        task = Task {
            for await notification in stream { received.update { $0.append(notification) } }
        }
    }

    var payloads: [String] { received.value.map(\.payload) }

    func cancel() { task.cancel() }
}

/// A one-shot barrier: `wait()` suspends until `open()` is called.
final class Gate: Sendable {
    private let state = Mutex<(isOpen: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.isOpen { return true }
                state.waiting.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiting = state.withLock { state in
            state.isOpen = true
            defer { state.waiting = [] }
            return state.waiting
        }
        for continuation in waiting { continuation.resume() }
    }
}
