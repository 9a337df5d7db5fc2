import CLibPQ
import Logging

extension PGConnection {
    /// As ``query(_:)``, through a named prepared statement that the
    /// connection keeps for its lifetime: the SQL text is parsed once per
    /// connection, and after a few runs PostgreSQL may reuse a generic plan
    /// instead of planning again (PREPARE, "Notes"). For large statements run
    /// often with new parameters — a batch ingest planned in milliseconds.
    /// Statements are named by a hash of their SQL and parameter types.
    @discardableResult
    public func queryPrepared(_ query: PGQuery) async throws -> PGRows {
        logger.trace("postgres query (prepared)", metadata: ["sql": "\(query.description)"])
        return try await perform { handle in try self.executePrepared(query, on: handle) }
    }

    /// Runs on `queue`. Prepares on first use; a statement the server no
    /// longer knows (26000) is prepared again once.
    private func executePrepared(_ query: PGQuery, on handle: OpaquePointer) throws -> PGRows {
        let name = Self.statementName(query)
        do {
            try prepare(query, name: name, on: handle)
            return try run(query, name: name, on: handle)
        } catch let error as PGError where error.sqlState == "26000" {
            prepared.remove(name)
            try prepare(query, name: name, on: handle)
            return try run(query, name: name, on: handle)
        }
    }

    private func prepare(_ query: PGQuery, name: String, on handle: OpaquePointer) throws {
        guard !prepared.contains(name) else { return }
        let arguments = try PGQueryArguments(query)
        do {
            let result = PQprepare(handle, name, query.sql, Int32(arguments.types.count), arguments.types)
            defer { PQclear(result) }
            do {
                _ = try PGResultReader.rows(result, handle: handle, sql: query.sql)
            } catch let error as PGError where error.sqlState == "42P05" {
                // Already prepared (by an earlier call whose answer was lost).
            }
        }
        prepared.insert(name)
    }

    private func run(_ query: PGQuery, name: String, on handle: OpaquePointer) throws -> PGRows {
        let arguments = try PGQueryArguments(query)
        return try arguments.withPointers { values in
            let result = PQexecPrepared(handle, name, Int32(arguments.types.count), values, arguments.lengths, arguments.formats, 0)
            defer { PQclear(result) }
            return try PGResultReader.rows(result, handle: handle, sql: query.sql)
        }
    }

    /// `sluice_` and a 64-bit FNV-1a hash of the SQL and the bind types.
    static func statementName(_ query: PGQuery) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        func mix(_ byte: UInt8) {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01B3
        }
        for byte in query.sql.utf8 { mix(byte) }
        for bind in query.binds {
            mix(0)
            for byte in String(bind.type.rawValue).utf8 { mix(byte) }
        }
        return "sluice_" + String(hash, radix: 16)
    }
}
