import Foundation
import SluicePostgres
import Testing

@Suite struct PGQueryTests {
    @Test func interpolatedValues_becomeNumberedPlaceholdersAndBinds() {
        let email = "bob@example.com"
        let age = 42
        let query: PGQuery = "SELECT id FROM users WHERE email = \(email) AND age > \(age) AND active = \(true)"
        #expect(query.sql == "SELECT id FROM users WHERE email = $1 AND age > $2 AND active = $3")
        #expect(query.binds == [
            PGBind(type: .unknown, value: .text("bob@example.com")),
            PGBind(type: .int8, value: .text("42")),
            PGBind(type: .bool, value: .text("true")),
        ])
    }

    @Test func literalWithoutInterpolation_hasNoBinds() {
        let query: PGQuery = "SELECT 1"
        #expect(query.sql == "SELECT 1")
        #expect(query.binds.isEmpty)
    }

    @Test func description_redactsEveryBind() {
        let secret = "hunter2"
        let query: PGQuery = "UPDATE users SET password = \(secret), note = \(nil as String?) WHERE id = \(7)"
        #expect(query.description == "UPDATE users SET password = $1, note = $2 WHERE id = $3 [****, NULL, ****]")
        #expect(!query.description.contains("hunter2"))
        #expect(!query.debugDescription.contains("hunter2"))
        #expect(!"\(query.binds)".contains("hunter2"))
    }

    @Test func injectionAttempt_isABindNotSQL() {
        let evil = "'; DROP TABLE users; --"
        let query: PGQuery = "SELECT * FROM users WHERE name = \(evil)"
        #expect(query.sql == "SELECT * FROM users WHERE name = $1")
        #expect(query.binds.first?.value == .text(evil))
    }

    @Test func unsafeSQL_isAppendedVerbatimWithoutABind() {
        enum Sort: String { case createdAt = "created_at" }
        let query: PGQuery = "SELECT * FROM t ORDER BY \(unsafeSQL: Sort.createdAt.rawValue) LIMIT \(10)"
        #expect(query.sql == "SELECT * FROM t ORDER BY created_at LIMIT $1")
        #expect(query.binds.count == 1)
    }

    @Test func optionalNil_isATypedNull() {
        let missing: Int? = nil
        let present: Int? = 5
        let query: PGQuery = "SELECT \(missing), \(present)"
        #expect(query.binds == [PGBind(type: .int8, value: nil), PGBind(type: .int8, value: .text("5"))])
    }

    @Test func everySupportedType_encodesWithItsPostgresType() throws {
        let uuid = try #require(UUID(uuidString: "E621E1F8-C36C-495A-93FC-0C247A3E6E5F"))
        let date = Date(timeIntervalSince1970: 1_700_000_000.25)
        let query: PGQuery = """
            SELECT \(Int64(1)), \(Int32(2)), \(1.5), \(uuid), \(date), \([UInt8]([0, 1, 255])), \(Data([9])), \
            \(["a", "b\"c", "d\\e"]), \([1, 2]), \(PGJSON(["k": 1]))
            """
        #expect(query.binds.map(\.type) == [.int8, .int4, .float8, .uuid, .timestamptz, .bytea, .bytea, .textArray, .int8Array, .jsonb])
        #expect(query.binds[3].value == .text("e621e1f8-c36c-495a-93fc-0c247a3e6e5f"))
        #expect(query.binds[4].value == .text("2023-11-14T22:13:20.250000Z"))
        #expect(query.binds[5].value == .binary([0, 1, 255]))
        #expect(query.binds[6].value == .binary([9]))
        #expect(query.binds[7].value == .text(#"{"a","b\"c","d\\e"}"#))
        #expect(query.binds[8].value == .text(#"{"1","2"}"#))
        #expect(query.binds[9].value == .text(#"{"k":1}"#))
    }

    @Test func doubleSpecialValues_usePostgresSpellings() {
        let query: PGQuery = "SELECT \(Double.nan), \(Double.infinity), \(-Double.infinity), \(0.1)"
        #expect(query.binds.map(\.value) == [.text("NaN"), .text("Infinity"), .text("-Infinity"), .text("0.1")])
    }

    @Test func unencodableValue_isRecordedAndThrownWhenRun() {
        let query: PGQuery = "SELECT \(Date(timeIntervalSince1970: -70_000_000_000))"  // year -248
        #expect(query.encodingError?.code == .encoding)
        #expect(query.sql == "SELECT $1")
    }
}
