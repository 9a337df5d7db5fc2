import Foundation
@testable import SluicePostgres
import Testing

/// `PGBinaryArray` read by the real server's `array_recv`: every element
/// type, `NULL`s, empty arrays, and the values the text form also has to
/// get right; and what must be refused before anything is sent.
@Suite(.timeLimit(.minutes(1))) struct PGBinaryArrayTests {
    @Test func everyElementType_readsBackThroughUnnest() async throws {
        try await PGTest.withPool { pool, _ in
            let ids = [UUID(), UUID()]
            var uuids = PGBinaryArray<UUID>()
            var texts = PGBinaryArray<String>()
            var doubles = PGBinaryArray<Double>()
            var ints = PGBinaryArray<Int32>()
            var dates = PGBinaryArray<Date>()
            var json = PGBinaryArray<PGJSONB>()
            try uuids.append(ids[0])
            try uuids.append(ids[1])
            uuids.appendNull()
            try texts.append("quote\" back\\slash {a,b} NULL ünï")
            try texts.append("")
            try texts.append(nil)
            try doubles.append(-1.25e-300)
            try doubles.append(.infinity)
            try doubles.append(nil)
            try ints.append(Int32.min)
            try ints.append(Int32.max)
            ints.appendNull()
            let date = Date(timeIntervalSince1970: 1_700_000_000.123456)
            try dates.append(date)
            try dates.append(Date(timeIntervalSince1970: -1))  // before 2000 and before 1970
            dates.appendNull()
            for text in [#"{"a": 0.7, "b": [1, "ü"]}"#, "null"] {
                var bytes = Array(text.utf8)
                try bytes.withUnsafeMutableBufferPointer { try json.append(json: UnsafeBufferPointer($0)) }
            }
            json.appendNull()
            let rows = try await pool.query("""
                SELECT u, t, d, i, at, j, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS at_text, j::text AS j_text
                FROM unnest(\(uuids)::uuid[], \(texts)::text[], \(doubles)::float8[], \(ints)::int4[], \(dates)::timestamptz[],
                    \(json)::jsonb[]) WITH ORDINALITY AS x(u, t, d, i, at, j, n)
                ORDER BY n
                """)
            #expect(rows.count == 3)
            #expect(try rows.map { try $0.decode("u", as: UUID?.self) } == [ids[0], ids[1], nil])
            #expect(try rows.map { try $0.decode("t", as: String?.self) } == ["quote\" back\\slash {a,b} NULL ünï", "", nil])
            #expect(try rows.map { try $0.decode("d", as: Double?.self) } == [-1.25e-300, .infinity, nil])
            #expect(try rows.map { try $0.decode("i", as: Int32?.self) } == [Int32.min, Int32.max, nil])
            #expect(try rows.map { try $0.decode("at_text", as: String?.self) }
                == ["2023-11-14 22:13:20.123456", "1969-12-31 23:59:59.000000", nil])
            #expect(try rows.map { try $0.decode("j_text", as: String?.self) } == [#"{"a": 0.7, "b": [1, "ü"]}"#, "null", nil])
        }
    }

    @Test func nan_andAnEmptyArray() async throws {
        try await PGTest.withPool { pool, _ in
            var doubles = PGBinaryArray<Double>()
            try doubles.append(.nan)
            let empty = PGBinaryArray<String>()
            let row = try #require(try await pool.query("""
                SELECT (\(doubles)::float8[])[1] = 'NaN'::float8 AS nan, cardinality(\(empty)::text[]) AS n,
                    (SELECT count(*) FROM unnest(\(empty)::text[])) AS rows
                """).first)
            #expect(try row.decode("nan", as: Bool.self))
            #expect(try row.decode("n", as: Int.self) == 0)
            #expect(try row.decode("rows", as: Int.self) == 0)
        }
    }

    /// The binary and the text form store the same microsecond, including
    /// where a fraction rounds up into the next second.
    @Test func timestamps_roundLikeTheTextForm() async throws {
        try await PGTest.withPool { pool, _ in
            let dates = [
                Date(timeIntervalSince1970: 1_700_000_000.9999996),
                Date(timeIntervalSince1970: -0.0000004),
                Date(timeIntervalSince1970: 946_684_800),  // the binary form's zero
                Date(timeIntervalSince1970: -62_135_596_800),  // 0001-01-01
                Date(timeIntervalSince1970: 253_402_300_799.5),  // 9999-12-31 23:59:59.5
            ]
            var binary = PGBinaryArray<Date>()
            var text = PGArrayText()
            for date in dates {
                try binary.append(date)
                try text.append(date)
            }
            let rows = try await pool.query("""
                SELECT b = t AS same, to_char(b AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') AS b
                FROM unnest(\(binary)::timestamptz[], \(text)::timestamptz[]) AS x(b, t)
                """)
            #expect(try rows.map { try $0.decode("same", as: Bool.self) } == Array(repeating: true, count: dates.count))
            #expect(try rows.map { try $0.decode("b", as: String.self) } == [
                "2023-11-14 22:13:21.000000", "1970-01-01 00:00:00.000000", "2000-01-01 00:00:00.000000",
                "0001-01-01 00:00:00.000000", "9999-12-31 23:59:59.500000",
            ])
        }
    }

    @Test func nul_andYearsOutsideTheRange_areRefusedOnAppend() throws {
        var texts = PGBinaryArray<String>()
        #expect { try texts.append("before\u{0}after") } throws: { ($0 as? PGError)?.code == .encoding }
        var json = PGBinaryArray<PGJSONB>()
        let bytes: [UInt8] = Array(#"{"a\#u{0}": 1}"#.utf8)
        #expect {
            try bytes.withUnsafeBufferPointer { try json.append(json: $0) }
        } throws: { ($0 as? PGError)?.code == .encoding }
        var dates = PGBinaryArray<Date>()
        for date in [Date(timeIntervalSince1970: -62_135_596_801), Date(timeIntervalSince1970: 253_402_300_800),
                     Date(timeIntervalSince1970: .infinity), Date(timeIntervalSince1970: 1e300)] {
            #expect { try dates.append(date) } throws: { ($0 as? PGError)?.code == .encoding }
        }
        // Nothing refused was kept.
        #expect(texts.elementCount == 0)
        #expect(json.elementCount == 0)
        #expect(dates.elementCount == 0)
    }

    /// Malformed JSON reaches the server, which refuses the statement.
    @Test func malformedJSON_isRefusedByTheServer() async throws {
        try await PGTest.withPool { pool, _ in
            var json = PGBinaryArray<PGJSONB>()
            let bytes: [UInt8] = Array("{not json".utf8)
            try bytes.withUnsafeBufferPointer { try json.append(json: $0) }
            await #expect(throws: PGError.self) { try await pool.query("SELECT unnest(\(json)::jsonb[])") }
            let one = try await pool.query("SELECT 1 AS one").first?.decode("one", as: Int.self)
            #expect(one == 1)
        }
    }

    /// The wire form, byte for byte, of a two-element `int4[]` with a `NULL`.
    @Test func header_andElements_areBigEndian() throws {
        var ints = PGBinaryArray<Int32>()
        try ints.append(258)
        ints.appendNull()
        #expect(try ints.bytes == [
            0, 0, 0, 1,  // one dimension
            0, 0, 0, 1,  // has NULLs
            0, 0, 0, 23,  // int4
            0, 0, 0, 2, 0, 0, 0, 1,  // length 2, lower bound 1
            0, 0, 0, 4, 0, 0, 1, 2,  // 258
            0xFF, 0xFF, 0xFF, 0xFF,  // NULL
        ])
    }
}
