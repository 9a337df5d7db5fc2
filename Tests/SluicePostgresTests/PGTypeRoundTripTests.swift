import Foundation
import SluicePostgres
import Testing

@Suite(.timeLimit(.minutes(1))) struct PGTypeRoundTripTests {
    struct Settings: Codable, Equatable, Sendable {
        var name: String
        var limits: [String: Int]
        var enabled: Bool
    }

    @Test func everySupportedType_roundTripsThroughATable() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("""
                CREATE TABLE everything (
                    s text, i bigint, i64 bigint, i32 integer, d double precision, b boolean, u uuid,
                    t timestamptz, bytes bytea, data bytea, tags text[], numbers bigint[], settings jsonb, nothing text
                )
                """)
            let uuid = UUID()
            let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
            let bytes: [UInt8] = Array(0...255)
            let settings = Settings(name: "ünï \"côdé\"", limits: ["cpu": 4], enabled: true)
            let tags = ["a", "b c", "quote\"d", "back\\slash", "NULL", ""]
            try await pool.query("""
                INSERT INTO everything VALUES (
                    \("héllo"), \(Int.max), \(Int64.min), \(Int32.min), \(-1.25e-300), \(false), \(uuid),
                    \(date), \(bytes), \(Data([0, 0, 1])), \(tags), \([1, -2, 3]), \(PGJSON(settings)), \(nil as String?)
                )
                """)
            let row = try #require(try await pool.query("SELECT * FROM everything").first)
            #expect(try row.decode("s", as: String.self) == "héllo")
            #expect(try row.decode("i", as: Int.self) == Int.max)
            #expect(try row.decode("i64", as: Int64.self) == Int64.min)
            #expect(try row.decode("i32", as: Int32.self) == Int32.min)
            #expect(try row.decode("d", as: Double.self) == -1.25e-300)
            #expect(try row.decode("b", as: Bool.self) == false)
            #expect(try row.decode("u", as: UUID.self) == uuid)
            #expect(abs(try row.decode("t", as: Date.self).timeIntervalSince(date)) < 1e-6)
            #expect(try row.decode("bytes", as: [UInt8].self) == bytes)
            #expect(try row.decode("data", as: Data.self) == Data([0, 0, 1]))
            #expect(try row.decode("tags", as: [String].self) == tags)
            #expect(try row.decode("numbers", as: [Int].self) == [1, -2, 3])
            #expect(try row.decodeJSON("settings", as: Settings.self) == settings)
            #expect(try row.decode("nothing", as: String?.self) == nil)
            #expect(row["nothing"].isNull)
            #expect(try row.decode("s", as: String?.self) == "héllo")
        }
    }

    @Test func nullIntoNonOptional_isADecodingError() async throws {
        try await PGTest.withPool { pool, _ in
            let row = try #require(try await pool.query("SELECT NULL::int AS n, 'x' AS s").first)
            #expect(throws: PGError.self) { try row.decode("n", as: Int.self) }
            #expect(throws: PGError.self) { try row.decode("s", as: Int.self) }
            #expect(throws: PGError.self) { try row.decode("missing", as: String.self) }
            do {
                _ = try row.decode("n", as: Int.self)
            } catch let error as PGError {
                #expect(error.code == .decoding)
                #expect(error.columnName == "n")
            }
        }
    }

    @Test func untypedStringParameter_takesTheColumnsType() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TYPE mood AS ENUM ('happy', 'sad')")
            try await pool.query("CREATE TABLE people (name varchar(20), mood mood, born date)")
            try await pool.query("INSERT INTO people VALUES (\("ann"), \("happy"), \("2000-02-29"))")
            let row = try #require(try await pool.query("SELECT * FROM people WHERE mood = \("happy")").first)
            #expect(try row.decode("name", as: String.self) == "ann")
            #expect(try row.decode("born", as: Date.self) == Date(timeIntervalSince1970: 951_782_400))
        }
    }

    @Test func specialDoubles_roundTrip() async throws {
        try await PGTest.withPool { pool, _ in
            let row = try #require(try await pool.query("SELECT \(Double.infinity) AS a, \(-Double.infinity) AS b, \(Double.nan) AS c, \(0.1) AS d").first)
            #expect(try row.decode("a", as: Double.self) == .infinity)
            #expect(try row.decode("b", as: Double.self) == -.infinity)
            #expect(try row.decode("c", as: Double.self).isNaN)
            #expect(try row.decode("d", as: Double.self) == 0.1)
        }
    }

    @Test(arguments: [
        "'; DROP TABLE notes; --",
        "Robert'); DROP TABLE notes;--",
        "\"double\" and 'single' quotes",
        "back\\slash \\x00 \\' \\\\",
        "$1 $2 $$ dollar $$ quoting",
        "emoji 🧪🐘 and 日本語 and combining é",
        "tab\tnewline\ncarriage\r",
        String(repeating: "long ", count: 20_000),
    ])
    func hostileStrings_areStoredAndReadBackVerbatim(value: String) async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE notes (body text)")
            try await pool.query("INSERT INTO notes VALUES (\(value))")
            let rows = try await pool.query("SELECT body FROM notes WHERE body = \(value)")
            #expect(rows.count == 1)
            #expect(try rows.first?.decode("body", as: String.self) == value)
            let tables = try await pool.query("SELECT count(*) AS n FROM pg_tables WHERE tablename = 'notes'")
            #expect(try tables.first?.decode("n", as: Int.self) == 1)
        }
    }

    @Test func stringWithNUL_isRefusedBeforeSending() async throws {
        try await PGTest.withPool { pool, _ in
            await #expect {
                try await pool.query("SELECT \("before\u{0}after")")
            } throws: { error in
                (error as? PGError)?.code == .encoding
            }
            // The connection is still fine.
            let one = try await pool.query("SELECT 1 AS one").first?.decode("one", as: Int.self)
            #expect(one == 1)
        }
    }

    @Test func arrayWithNULDeepInside_isRefusedBeforeSending() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE words (w text)")
            var words = PGArrayText()
            for i in 0..<20_000 { words.append(i == 19_999 ? "last\u{0}" : "word \(i)") }
            await #expect {
                try await pool.query("INSERT INTO words SELECT unnest(\(words)::text[])")
            } throws: { error in
                (error as? PGError)?.code == .encoding
            }
            let count = try await pool.query("SELECT count(*) AS n FROM words").first?.decode("n", as: Int.self)
            #expect(count == 0)
        }
    }

    @Test func affectedRowsAndColumns_areReported() async throws {
        try await PGTest.withPool { pool, _ in
            try await pool.query("CREATE TABLE items (id int, name text)")
            let inserted = try await pool.query("INSERT INTO items SELECT g, 'n' || g FROM generate_series(1, 5) g")
            #expect(inserted.affectedRows == 5)
            #expect(inserted.commandTag == "INSERT 0 5")
            let rows = try await pool.query("SELECT id, name FROM items ORDER BY id")
            #expect(rows.columns.map(\.name) == ["id", "name"])
            #expect(rows.columns.map(\.type) == [.int4, .text])
            #expect(try rows.map { try $0.decode(0, as: Int.self) } == [1, 2, 3, 4, 5])
            #expect(try rows[4]["name"].decode(String.self) == "n5")
        }
    }
}
