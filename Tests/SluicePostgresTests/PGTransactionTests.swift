import Foundation
import SluicePostgres
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1))) struct PGTransactionTests {
    struct Boom: Error {}

    private func count(_ pool: PGPool) async throws -> Int {
        try await pool.query("SELECT count(*) AS n FROM ledger").first?.decode("n", as: Int.self) ?? -1
    }

    @Test func returningNormally_commits() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE ledger (amount int)")
            let value = try await pool.withTransaction { tx in
                try await tx.query("INSERT INTO ledger VALUES (\(1))")
                try await tx.query("INSERT INTO ledger VALUES (\(2))")
                return "done"
            }
            #expect(value == "done")
            #expect(try await count(pool) == 2)
        }
    }

    @Test func throwing_rollsBackEverything() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE ledger (amount int)")
            await #expect(throws: Boom.self) {
                try await pool.withTransaction { tx in
                    try await tx.query("INSERT INTO ledger VALUES (\(1))")
                    throw Boom()
                }
            }
            #expect(try await count(pool) == 0)
        }
    }

    @Test func aFailedStatementCaughtInside_stillRollsBackAndThrows() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            try await pool.query("CREATE TABLE ledger (amount int CHECK (amount > 0))")
            await #expect {
                try await pool.withTransaction { tx in
                    try await tx.query("INSERT INTO ledger VALUES (\(1))")
                    _ = try? await tx.query("INSERT INTO ledger VALUES (\(-1))")
                }
            } throws: { error in
                (error as? PGError)?.sqlState == "25P02"
            }
            #expect(try await count(pool) == 0)
        }
    }

    @Test func transactionLeftOpenInWithConnection_isRolledBackOnReturn() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            try await pool.query("CREATE TABLE ledger (amount int)")
            try await pool.withConnection { connection in
                try await connection.query("BEGIN")
                try await connection.query("INSERT INTO ledger VALUES (\(1))")
            }
            // Same (only) connection: had the transaction stayed open, it would see its row.
            #expect(try await count(pool) == 0)
            await #expect {
                try await pool.query("SAVEPOINT s")
            } throws: { error in
                (error as? PGError)?.sqlState == "25P01"  // no transaction block
            }
        }
    }

    @Test func isolationLevelAndReadOnly_areApplied() async throws {
        try await PGTest.withPool { pool, _ in
            let level = try await pool.withTransaction(isolationLevel: .serializable, readOnly: true) { tx in
                try await tx.query("SHOW transaction_isolation").first?.decode(0, as: String.self)
            }
            #expect(level == "serializable")
            try await pool.query("CREATE TABLE ledger (amount int)")
            await #expect {
                try await pool.withTransaction(readOnly: true) { tx in
                    try await tx.query("INSERT INTO ledger VALUES (1)")
                }
            } throws: { error in
                (error as? PGError)?.sqlState == "25006"
            }
        }
    }

    @Test func serializationFailures_areRetried() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE ledger (amount int)")
            let attempts = Atomic<Int>(0)
            try await pool.retryingSerializationFailures(maxAttempts: 5) {
                try await pool.withTransaction(isolationLevel: .serializable) { tx in
                    try await tx.query("INSERT INTO ledger VALUES (\(attempts.add(1, ordering: .relaxed).newValue))")
                    if attempts.load(ordering: .relaxed) < 3 {
                        try await tx.query("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")
                    }
                }
            }
            #expect(attempts.load(ordering: .relaxed) == 3)
            #expect(try await pool.query("SELECT amount FROM ledger").map { try $0.decode(0, as: Int.self) } == [3])
        }
    }

    @Test func realSerializationConflict_isRecognisedAndRetriedToSuccess() async throws {
        try await PGTest.withPool(maxConnections: 4) { pool, _ in
            try await pool.query("CREATE TABLE counters (id int PRIMARY KEY, value int)")
            try await pool.query("INSERT INTO counters VALUES (1, 0)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await pool.retryingSerializationFailures(maxAttempts: 50) {
                            try await pool.withTransaction(isolationLevel: .serializable) { tx in
                                let value = try await tx.query("SELECT value FROM counters WHERE id = 1").first?.decode(0, as: Int.self) ?? 0
                                try await tx.query("UPDATE counters SET value = \(value + 1) WHERE id = 1")
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await pool.query("SELECT value FROM counters").first?.decode(0, as: Int.self) == 8)
        }
    }

    @Test func otherErrors_areNotRetried() async throws {
        try await PGTest.withPool { pool, _ in
            let attempts = Atomic<Int>(0)
            await #expect(throws: PGError.self) {
                try await pool.retryingSerializationFailures {
                    attempts.add(1, ordering: .relaxed)
                    try await pool.query("SELEKT")
                }
            }
            #expect(attempts.load(ordering: .relaxed) == 1)
        }
    }
}
