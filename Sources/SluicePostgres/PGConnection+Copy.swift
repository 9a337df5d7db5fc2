import CLibPQ
import Logging

extension PGConnection {
    /// Loads `rows` into `table` with `COPY ... FROM STDIN` in text format,
    /// encoding each row with ``PGCopyText`` (`nil` is `NULL`) and sending
    /// about 256 KiB at a time. Returns the number of rows copied.
    ///
    /// One `COPY` is one statement: a bad row fails all of it, and inside a
    /// transaction the transaction with it. `table` and `columns` are quoted
    /// as identifiers (`schema` too, when given).
    @discardableResult
    public func copyIn(
        table: String,
        schema: String? = nil,
        columns: [String],
        rows: some Sequence<[String?]>,
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> Int {
        let target = try (schema.map { try PGIdentifier.quote($0) + "." } ?? "") + PGIdentifier.quote(table)
        let columnList = try columns.map { try PGIdentifier.quote($0) }.joined(separator: ", ")
        let sql = PGQuery(unsafeSQL: "COPY \(target) (\(columnList)) FROM STDIN")
        let session = try await beginCopy(sql)
        do {
            var chunk: [UInt8] = []
            chunk.reserveCapacity(Self.copyChunkSize + 4096)
            for (index, row) in rows.enumerated() {
                guard row.count == columns.count else {
                    throw PGError(code: .encoding, message: "COPY row \(index + 1) has \(row.count) fields for \(columns.count) columns")
                }
                try PGCopyText.appendRow(row, to: &chunk)
                if chunk.count >= Self.copyChunkSize {
                    try await session.send(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            if !chunk.isEmpty { try await session.send(chunk) }
        } catch {
            await session.abort()
            throw error
        }
        return try await session.finish()
    }

    /// Runs a `COPY ... FROM STDIN` statement and streams `data` to it,
    /// chunk by chunk, in whatever format the statement names (text, CSV,
    /// binary). Returns the number of rows copied. If `data` throws or the
    /// task is cancelled, the COPY is aborted and nothing is loaded.
    @discardableResult
    public func copyIn<Chunks: AsyncSequence>(
        _ sql: PGQuery,
        data: Chunks,
        isolation: isolated (any Actor)? = #isolation
    ) async throws -> Int where Chunks.Element == [UInt8] {
        let session = try await beginCopy(sql)
        do {
            for try await chunk in data { try await session.send(chunk) }
        } catch {
            await session.abort()
            throw error
        }
        return try await session.finish()
    }

    /// As the `AsyncSequence` variant, from chunks already in memory.
    @discardableResult
    public func copyIn(_ sql: PGQuery, data: [[UInt8]]) async throws -> Int {
        let session = try await beginCopy(sql)
        do {
            for chunk in data { try await session.send(chunk) }
        } catch {
            await session.abort()
            throw error
        }
        return try await session.finish()
    }

    static let copyChunkSize = 256 * 1024

    private func beginCopy(_ query: PGQuery) async throws -> PGCopySession {
        guard query.binds.isEmpty else {
            throw PGError(code: .encoding, message: "COPY takes no parameters")
        }
        logger.trace("postgres copy", metadata: ["sql": "\(query.description)"])
        try await perform { handle in
            let result = PQexec(handle, query.sql)
            defer { PQclear(result) }
            guard let result else { throw PGResultReader.connectionError(handle, sql: query.sql) }
            switch PQresultStatus(result) {
            case PGRES_COPY_IN:
                return
            case PGRES_FATAL_ERROR, PGRES_NONFATAL_ERROR, PGRES_BAD_RESPONSE:
                throw PGResultReader.serverError(result, handle: handle, sql: query.sql)
            default:
                if PQresultStatus(result) == PGRES_COPY_OUT { PGResultReader.abandonCopy(handle) }
                var error = PGError(code: .queryFailed, message: "not a COPY ... FROM STDIN statement")
                error.sql = query.sql
                throw error
            }
        }
        return PGCopySession(connection: self, sql: query.sql)
    }
}

/// A `COPY FROM STDIN` in progress on one connection.
struct PGCopySession: Sendable {
    let connection: PGConnection
    let sql: String

    /// Sends one chunk (libpq waits for room in its buffer).
    func send(_ chunk: [UInt8]) async throws {
        try Task.checkCancellation()
        guard !chunk.isEmpty else { return }
        try await connection.perform(cancellable: false) { handle in
            var offset = 0
            while offset < chunk.count {
                let count = min(chunk.count - offset, Int(Int32.max))
                let sent = chunk[offset..<(offset + count)].withUnsafeBytes { bytes in
                    PQputCopyData(handle, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(count))
                }
                guard sent == 1 else { throw PGResultReader.connectionError(handle, sql: sql) }
                offset += count
            }
        }
    }

    /// Ends the data; returns the rows copied or the server's error.
    func finish() async throws -> Int {
        try await connection.perform(cancellable: false) { handle in
            guard PQputCopyEnd(handle, nil) == 1 else { throw PGResultReader.connectionError(handle, sql: sql) }
            var rows = 0
            var failure: PGError?
            while let result = PQgetResult(handle) {
                defer { PQclear(result) }
                if PQresultStatus(result) == PGRES_COMMAND_OK {
                    rows = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
                } else if failure == nil {
                    failure = PGResultReader.serverError(result, handle: handle, sql: sql)
                }
            }
            if let failure { throw failure }
            return rows
        }
    }

    /// Ends the COPY with an error, so the server discards what it received.
    func abort() async {
        _ = try? await connection.perform(cancellable: false) { handle in
            _ = PQputCopyEnd(handle, "aborted by the client")
            PGResultReader.drainResults(handle)
        }
    }
}
