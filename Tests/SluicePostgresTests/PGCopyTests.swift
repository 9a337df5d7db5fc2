import Foundation
import SluicePostgres
import Testing

@Suite(.timeLimit(.minutes(1))) struct PGCopyTests {
    private func count(_ pool: PGPool) async throws -> Int {
        try await pool.query("SELECT count(*) AS n FROM rows").first?.decode("n", as: Int.self) ?? -1
    }

    @Test func copyIn_loadsAHundredThousandRows() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE rows (id int, name text, note text)")
            let rows = (1...100_000).lazy.map { i -> [String?] in
                [String(i), "name \(i)\twith tab", i % 10 == 0 ? nil : "line\nbreak \\ \(i)"]
            }
            let copied = try await pool.withConnection { connection in
                try await connection.copyIn(table: "rows", columns: ["id", "name", "note"], rows: rows)
            }
            #expect(copied == 100_000)
            #expect(try await count(pool) == 100_000)
            let row = try #require(try await pool.query("SELECT * FROM rows WHERE id = 7").first)
            #expect(try row.decode("name", as: String.self) == "name 7\twith tab")
            #expect(try row.decode("note", as: String.self) == "line\nbreak \\ 7")
            let nulls = try await pool.query("SELECT count(*) AS n FROM rows WHERE note IS NULL")
            #expect(try nulls.first?.decode("n", as: Int.self) == 10_000)
        }
    }

    @Test func aBadRow_rollsBackTheWholeBatch() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE rows (id int, name text)")
            let rows = (1...50_000).map { i -> [String?] in [i == 40_000 ? "not a number" : String(i), "n"] }
            await #expect {
                try await pool.withTransaction { tx in
                    try await tx.query("INSERT INTO rows VALUES (0, 'before the copy')")
                    try await tx.copyIn(table: "rows", columns: ["id", "name"], rows: rows)
                }
            } throws: { error in
                (error as? PGError)?.sqlState == "22P02"
            }
            #expect(try await count(pool) == 0)
            // The connection went back to the pool in a usable state.
            try await pool.query("INSERT INTO rows VALUES (1, 'after')")
            #expect(try await count(pool) == 1)
        }
    }

    @Test func copyIn_streamsCSVChunksFromAnAsyncSequence() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE rows (id int, name text)")
            let chunks = AsyncStream<[UInt8]> { continuation in
                continuation.yield(Array("1,\"comma, inside\"\n2,pl".utf8))
                continuation.yield(Array("ain\n3,\n".utf8))
                continuation.finish()
            }
            let copied = try await pool.withConnection { connection in
                try await connection.copyIn("COPY rows (id, name) FROM STDIN (FORMAT csv)", data: chunks)
            }
            #expect(copied == 3)
            let names = try await pool.query("SELECT name FROM rows ORDER BY id").map { try $0.decode(0, as: String?.self) }
            #expect(names == ["comma, inside", "plain", nil])
        }
    }

    @Test func failingDataSource_abortsTheCopy() async throws {
        struct SourceFailed: Error {}
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            try await pool.query("CREATE TABLE rows (id int, name text)")
            let chunks = AsyncThrowingStream<[UInt8], any Error> { continuation in
                continuation.yield(Array("1\ta\n2\tb\n".utf8))
                continuation.finish(throwing: SourceFailed())
            }
            await #expect(throws: SourceFailed.self) {
                try await pool.withConnection { connection in
                    try await connection.copyIn("COPY rows FROM STDIN", data: chunks)
                }
            }
            #expect(try await count(pool) == 0)
        }
    }

    @Test func copyThroughQuery_isRefusedAndTheConnectionSurvives() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            try await pool.query("CREATE TABLE rows (id int)")
            await #expect(throws: PGError.self) { try await pool.query("COPY rows FROM STDIN") }
            await #expect(throws: PGError.self) { try await pool.query("COPY rows TO STDOUT") }
            #expect(try await count(pool) == 0)
        }
    }

    @Test func rowWithTheWrongFieldCount_isRefused() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            try await pool.query("CREATE TABLE rows (id int, name text)")
            await #expect {
                try await pool.withConnection { connection in
                    try await connection.copyIn(table: "rows", columns: ["id", "name"], rows: [["1", "a"], ["2"]])
                }
            } throws: { error in
                (error as? PGError)?.code == .encoding
            }
            #expect(try await count(pool) == 0)
        }
    }
}
