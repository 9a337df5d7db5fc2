import CLibPQ

/// Reads a `PGresult`: copies rows out (the caller `PQclear`s it right
/// after), or turns an error result into a ``PGError``.
enum PGResultReader {
    static func rows(_ result: OpaquePointer?, handle: OpaquePointer, sql: String?) throws -> PGRows {
        guard let result else { throw connectionError(handle, sql: sql) }
        switch PQresultStatus(result) {
        case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
            return copyRows(result)
        case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
            abandonCopy(handle)
            var error = PGError(code: .queryFailed, message: "COPY cannot run through query(); use copyIn")
            error.sql = sql
            throw error
        default:
            throw serverError(result, handle: handle, sql: sql)
        }
    }

    static func copyRows(_ result: OpaquePointer) -> PGRows {
        let rowCount = Int(PQntuples(result))
        let columnCount = Int(PQnfields(result))
        let columns = (0..<columnCount).map { column in
            PGColumn(
                name: PQfname(result, Int32(column)).map { String(cString: $0) } ?? "?column?",
                type: PGType(rawValue: PQftype(result, Int32(column)))
            )
        }
        var total = 0
        for row in 0..<rowCount {
            for column in 0..<columnCount { total += Int(PQgetlength(result, Int32(row), Int32(column))) }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(total)
        var starts: [Int] = []
        var lengths: [Int32] = []
        starts.reserveCapacity(rowCount * columnCount)
        lengths.reserveCapacity(rowCount * columnCount)
        for row in 0..<rowCount {
            for column in 0..<columnCount {
                let (r, c) = (Int32(row), Int32(column))
                if PQgetisnull(result, r, c) == 1 {
                    starts.append(-1)
                    lengths.append(0)
                    continue
                }
                let length = PQgetlength(result, r, c)
                starts.append(bytes.count)
                lengths.append(length)
                if let value = PQgetvalue(result, r, c), length > 0 {
                    bytes.append(contentsOf: UnsafeRawBufferPointer(start: value, count: Int(length)))
                }
            }
        }
        let tag = PQcmdStatus(result).map { String(cString: $0) } ?? ""
        let affected = PQcmdTuples(result).flatMap { Int(String(cString: $0)) } ?? 0
        let storage = PGRows.Storage(columns: columns, rowCount: rowCount, bytes: bytes, starts: starts, lengths: lengths)
        return PGRows(storage: storage, affectedRows: affected, commandTag: tag)
    }

    /// The server's error fields; the code follows from the SQLSTATE and
    /// from whether the connection survived.
    static func serverError(_ result: OpaquePointer, handle: OpaquePointer, sql: String?) -> PGError {
        func field(_ code: Character) -> String? {
            guard let ascii = code.asciiValue, let value = PQresultErrorField(result, Int32(ascii)) else { return nil }
            return String(cString: value)
        }
        let sqlState = field("C")
        let code: PGError.Code
        if PQstatus(handle) != CONNECTION_OK {
            code = .connectionLost
        } else if sqlState == "57014" {
            code = .timeout  // query_canceled, and not by us (see PGConnection.perform)
        } else {
            code = .queryFailed
        }
        var error = PGError(code: code, message: field("M") ?? PGConnection.errorMessage(handle), sqlState: sqlState)
        error.serverDetail = field("D")
        error.hint = field("H")
        error.constraintName = field("n")
        error.schemaName = field("s")
        error.tableName = field("t")
        error.columnName = field("c")
        error.sql = sql
        return error
    }

    /// No result at all: out of memory, or the connection is gone.
    static func connectionError(_ handle: OpaquePointer, sql: String?) -> PGError {
        let code: PGError.Code = PQstatus(handle) == CONNECTION_OK ? .queryFailed : .connectionLost
        var error = PGError(code: code, message: PGConnection.errorMessage(handle))
        error.sql = sql
        return error
    }

    /// Leaves a COPY state that `query()` cannot serve, so the connection
    /// stays usable: ends COPY FROM STDIN with an error, drains COPY TO STDOUT.
    static func abandonCopy(_ handle: OpaquePointer) {
        _ = PQputCopyEnd(handle, "COPY is not supported through query()")
        var buffer: UnsafeMutablePointer<CChar>?
        while PQgetCopyData(handle, &buffer, 0) > 0 {
            if let chunk = buffer { PQfreemem(chunk) }
            buffer = nil
        }
        drainResults(handle)
    }

    /// Consumes and frees every pending result.
    static func drainResults(_ handle: OpaquePointer) {
        while let pending = PQgetResult(handle) {
            PQclear(pending)
            if PQstatus(handle) != CONNECTION_OK { return }
        }
    }
}
