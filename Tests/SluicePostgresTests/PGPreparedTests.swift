import Foundation
import SluicePostgres
import Testing

/// `queryPrepared`: named statements kept per connection, array literals
/// from `PGArrayText` bound to `unnest`.
@Suite(.timeLimit(.minutes(1))) struct PGPreparedTests {
    @Test func preparedStatements_runAgainWithNewParameters_andSurviveDeallocate() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            try await pool.withConnection { connection in
                for round in 0..<8 {
                    var texts = PGArrayText()
                    var numbers = PGArrayText()
                    for i in 0...round {
                        texts.append(i % 3 == 0 ? nil : "v\"\\{,}\(i) NULL é")
                        numbers.append(i % 2 == 0 ? Double(i) / 4 : nil)
                    }
                    let rows = try await connection.queryPrepared("""
                        SELECT t, n FROM unnest(\(texts)::text[], \(numbers)::float8[]) AS u(t, n) ORDER BY n NULLS LAST, t
                        """)
                    #expect(rows.count == round + 1)
                    let values = try rows.map { try $0.decode("t", as: String?.self) }
                    #expect(values.compactMap { $0 }.allSatisfy { $0.hasPrefix("v\"\\{,}") && $0.hasSuffix(" NULL é") })
                    #expect(values.filter { $0 == nil }.count == (0...round).filter { $0 % 3 == 0 }.count)
                    if round == 4 {
                        // Forgotten by the server: prepared again on the next run.
                        try await connection.query("DEALLOCATE ALL")
                    }
                }
                let names = try await connection.query("SELECT count(*) AS n FROM pg_prepared_statements")
                #expect(try names.first?.decode("n", as: Int.self) == 1)
            }
        }
    }

    @Test func aFailingPreparedStatement_failsItsTransactionOnly() async throws {
        try await PGTest.withPool(maxConnections: 1) { pool, _ in
            try await pool.query("CREATE TABLE t (id int PRIMARY KEY)")
            await #expect(throws: PGError.self) {
                try await pool.withTransaction { connection in
                    try await connection.queryPrepared("INSERT INTO t SELECT unnest(\(PGArrayText.ints([1, 1]))::int[])")
                }
            }
            _ = try await pool.withTransaction { connection in
                try await connection.queryPrepared("INSERT INTO t SELECT unnest(\(PGArrayText.ints([1, 2]))::int[])")
            }
            #expect(try await pool.query("SELECT count(*) AS n FROM t").first?.decode("n", as: Int.self) == 2)
        }
    }
}

extension PGArrayText {
    static func ints(_ values: [Int]) -> PGArrayText {
        var array = PGArrayText()
        for value in values { array.append(value) }
        return array
    }
}
