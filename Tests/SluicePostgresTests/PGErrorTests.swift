import Foundation
import SluicePostgres
import SluiceTesting
import Testing

@Suite(.timeLimit(.minutes(1))) struct PGErrorTests {
    /// Runs `query` expecting a `PGError`.
    private func failure(_ pool: PGPool, _ query: PGQuery) async throws -> PGError {
        do {
            try await pool.query(query)
        } catch let error as PGError {
            return error
        }
        Issue.record("expected a PGError from \(query)")
        return PGError(code: .queryFailed, message: "none")
    }

    @Test func constraintViolations_areRecognisedWithTheirNames() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE owners (id int PRIMARY KEY)")
            try await pool.query("""
                CREATE TABLE pets (
                    id int CONSTRAINT pets_pkey PRIMARY KEY,
                    owner int CONSTRAINT pets_owner_fkey REFERENCES owners(id),
                    legs int CONSTRAINT pets_legs_check CHECK (legs >= 0),
                    stay int4range,
                    CONSTRAINT pets_no_overlap EXCLUDE USING gist (stay WITH &&)
                )
                """)
            try await pool.query("INSERT INTO owners VALUES (1)")
            try await pool.query("INSERT INTO pets VALUES (1, 1, 4, '[1,5)')")

            let unique = try await failure(pool, "INSERT INTO pets VALUES (\(1), 1, 4, '[10,20)')")
            #expect(unique.isUniqueViolation)
            #expect(unique.code == .queryFailed)
            #expect(unique.constraintName == "pets_pkey")
            #expect(unique.tableName == "pets")

            let foreign = try await failure(pool, "INSERT INTO pets VALUES (2, \(99), 4, '[10,20)')")
            #expect(foreign.isForeignKeyViolation)
            #expect(foreign.constraintName == "pets_owner_fkey")

            let check = try await failure(pool, "INSERT INTO pets VALUES (3, 1, \(-1), '[10,20)')")
            #expect(check.isCheckViolation)
            #expect(check.constraintName == "pets_legs_check")

            let exclusion = try await failure(pool, "INSERT INTO pets VALUES (4, 1, 4, '[2,3)')")
            #expect(exclusion.isExclusionViolation)
            #expect(exclusion.constraintName == "pets_no_overlap")
        }
    }

    @Test func descriptions_neverShowBoundValues() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE users (email text UNIQUE, age int)")
            let secret = "secret-address@example.com"
            try await pool.query("INSERT INTO users VALUES (\(secret), 1)")
            let unique = try await failure(pool, "INSERT INTO users VALUES (\(secret), 2)")
            #expect(unique.isUniqueViolation)
            #expect(unique.serverDetail?.contains(secret) == true)  // the server quotes it here...
            #expect(!unique.description.contains(secret))           // ...but we never print it
            #expect(!unique.debugDescription.contains(secret))
            #expect(unique.debugDescription.contains("users_email_key"))
            #expect(unique.debugDescription.contains("INSERT INTO users VALUES ($1, 2)"))
            #expect(unique.description == "PGError(code: queryFailed, sqlState: 23505)")

            let badInput = try await failure(pool, "SELECT \("not-a-number-\(secret)")::int")
            #expect(badInput.sqlState == "22P02")
            #expect(badInput.message.contains(secret))
            #expect(!badInput.debugDescription.contains(secret))
        }
    }

    @Test func syntaxError_isQueryFailedWithSQLState() async throws {
        try await PGTest.withPool { pool, _ in
            let error = try await failure(pool, "SELEKT 1")
            #expect(error.code == .queryFailed)
            #expect(error.sqlState == "42601")
            #expect(try await pool.query("SELECT 1 AS one").count == 1)  // connection still good
        }
    }

    @Test func statementTimeout_isATimeoutError() async throws {
        try await PGTest.withPool(maxConnections: 1, statementTimeout: .milliseconds(200)) { pool, _ in
            let started = ContinuousClock.now
            let error = try await failure(pool, "SELECT pg_sleep(5)")
            #expect(error.code == .timeout)
            #expect(error.sqlState == "57014")
            #expect(ContinuousClock.now - started < .seconds(3))
            #expect(try await pool.query("SELECT 1 AS one").count == 1)
        }
    }

    @Test func cancellingTheTask_cancelsTheStatementOnTheServer() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            let started = ContinuousClock.now
            let task = Task { try await pool.query("SELECT pg_sleep(10)") }
            try await Task.sleep(for: .milliseconds(300))
            task.cancel()
            let result = await task.result
            #expect(throws: CancellationError.self) { try result.get() }
            #expect(ContinuousClock.now - started < .seconds(5))
            // The one connection is usable, and no stray cancel hits the next statement.
            for _ in 0..<20 { try await pool.query("SELECT pg_sleep(0.01)") }
        }
    }

    @Test func badURL_failsWithoutEchoingIt() async throws {
        let url = "postgres://user:hunter2@[::1"
        await #expect {
            _ = try await PGConnection.connect(configuration: PGConnectionConfiguration(url: url))
        } throws: { error in
            guard let error = error as? PGError else { return false }
            return error.code == .connectionFailed && !error.debugDescription.contains("hunter2")
        }
    }

    @Test func unreachableServer_isConnectionFailed() async throws {
        let port = try TestPostgres.freePort()
        await #expect {
            _ = try await PGConnection.connect(configuration: PGConnectionConfiguration(url: "postgres://postgres@127.0.0.1:\(port)/x"))
        } throws: { error in
            (error as? PGError)?.code == .connectionFailed
        }
    }
}
