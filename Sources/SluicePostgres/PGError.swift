import Foundation

/// Any failure of SluicePostgres: connecting, running a query, decoding a
/// row, waiting for a pooled connection.
///
/// `description` names only the code and SQLSTATE, so it is safe to log
/// anywhere; `debugDescription` adds the detail — the server's message, the
/// constraint, the SQL with its `$n` placeholders — but never a bound value
/// (and never the server's `DETAIL` line, which can quote row values).
public struct PGError: Error, Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// What kind of failure this is.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case connectionFailed, connectionLost, queryFailed, timeout, poolExhausted
            case decoding, encoding, closed, migration
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A connection could not be opened (server down, bad URL, authentication).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while in use; whether the statement took effect is unknown.
        public static let connectionLost = Code(.connectionLost)
        /// The server refused the statement; ``PGError/sqlState`` says why.
        public static let queryFailed = Code(.queryFailed)
        /// The statement ran longer than the connection's `statement_timeout`
        /// (SQLSTATE 57014 without a cancellation of ours).
        public static let timeout = Code(.timeout)
        /// No pooled connection became free within the pool's acquire timeout.
        public static let poolExhausted = Code(.poolExhausted)
        /// A column's value could not be read as the requested Swift type.
        public static let decoding = Code(.decoding)
        /// A parameter could not be sent (for example a string containing NUL).
        public static let encoding = Code(.encoding)
        /// The pool, listener or connection was closed.
        public static let closed = Code(.closed)
        /// A migration file is malformed, was edited or removed after it was applied.
        public static let migration = Code(.migration)

        /// The code's name, for example `queryFailed`.
        public var description: String { base.rawValue }
    }

    /// What kind of failure this is.
    public var code: Code
    /// The five-character SQLSTATE the server reported, for example `23505`.
    public var sqlState: String?
    /// What went wrong: the server's primary message or libpq's.
    public var message: String
    /// The constraint a violation names (`PG_DIAG_CONSTRAINT_NAME`).
    public var constraintName: String?
    /// The schema, table and column the error names, where the server says.
    public var schemaName: String?
    /// The table the error names, where the server says.
    public var tableName: String?
    /// The column the error names, where the server says.
    public var columnName: String?
    /// The server's hint, if any.
    public var hint: String?
    /// The server's `DETAIL` line. It may quote row values, so it is kept out
    /// of `description` and `debugDescription`; read it deliberately.
    public var serverDetail: String?
    /// The SQL that failed, with `$n` placeholders (values are never here).
    public var sql: String?

    /// An error with a `code` and a `message`; the other fields empty.
    public init(code: Code, message: String, sqlState: String? = nil) {
        self.code = code
        self.message = message
        self.sqlState = sqlState
    }

    /// `PGError(code: queryFailed, sqlState: 23505)`: no detail.
    public var description: String {
        sqlState.map { "PGError(code: \(code), sqlState: \($0))" } ?? "PGError(code: \(code))"
    }

    /// The code, SQLSTATE, message, constraint and SQL; never bound values.
    public var debugDescription: String {
        var parts = ["code: \(code)"]
        if let sqlState { parts.append("sqlState: \(sqlState)") }
        parts.append("message: \(String(reflecting: safeMessage))")
        if let constraintName { parts.append("constraint: \(constraintName)") }
        if let tableName { parts.append("table: \(schemaName.map { "\($0)." } ?? "")\(tableName)") }
        if let columnName { parts.append("column: \(columnName)") }
        if let hint { parts.append("hint: \(String(reflecting: hint))") }
        if let sql { parts.append("sql: \(String(reflecting: sql))") }
        return "PGError(\(parts.joined(separator: ", ")))"
    }

    /// Data exceptions (SQLSTATE class 22) quote the offending input in their
    /// message (`invalid input syntax for type integer: "..."`), and that
    /// input may be a bound value: cut the message before the quote.
    private var safeMessage: String {
        guard sqlState?.hasPrefix("22") == true, let quote = message.range(of: ": \"") else { return message }
        return String(message[..<quote.lowerBound])
    }
}

extension PGError {
    /// SQLSTATE 23505: a unique constraint or index was violated.
    public var isUniqueViolation: Bool { sqlState == "23505" }
    /// SQLSTATE 40001: a serializable transaction must be retried.
    public var isSerializationFailure: Bool { sqlState == "40001" }
    /// SQLSTATE 40P01: the transaction was chosen as a deadlock victim and can be retried.
    public var isDeadlock: Bool { sqlState == "40P01" }
    /// SQLSTATE 23503: a foreign key was violated.
    public var isForeignKeyViolation: Bool { sqlState == "23503" }
    /// SQLSTATE 23514: a check constraint was violated.
    public var isCheckViolation: Bool { sqlState == "23514" }
    /// SQLSTATE 23502: a `NOT NULL` column was given `NULL`.
    public var isNotNullViolation: Bool { sqlState == "23502" }
    /// SQLSTATE 23P01: an exclusion constraint was violated.
    public var isExclusionViolation: Bool { sqlState == "23P01" }
}
