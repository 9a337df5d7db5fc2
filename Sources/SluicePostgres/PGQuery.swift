/// A SQL statement and its bound parameters.
///
/// Written as a string literal, the literal text is SQL and every
/// interpolated value becomes a placeholder (`$1`, `$2`, ...) with a bound
/// parameter, so a value can never change the statement:
///
/// ```swift
/// let query: PGQuery = "SELECT id FROM users WHERE email = \(email) AND age > \(minimumAge)"
/// // sql:   SELECT id FROM users WHERE email = $1 AND age > $2
/// // binds: [****, ****]
/// ```
///
/// Raw SQL goes in only through `\(unsafeSQL: ...)`, visibly, for
/// identifiers taken from enums (sort columns and the like), never for
/// values. `description` shows the SQL with the binds redacted.
public struct PGQuery: Hashable, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The SQL text, with `$n` placeholders.
    public var sql: String
    /// The parameters, `binds[0]` for `$1`.
    public var binds: [PGBind]
    /// The first value that could not be encoded; thrown (as
    /// ``PGError/Code/encoding``) when the query is run, before anything is sent.
    public var encodingError: PGError?

    /// A query from SQL text that is trusted as is (no placeholders are added).
    public init(unsafeSQL sql: String, binds: [PGBind] = []) {
        self.sql = sql
        self.binds = binds
        self.encodingError = nil
    }

    /// The SQL followed by the binds, each shown as `****` (or `NULL`).
    public var description: String {
        binds.isEmpty ? sql : "\(sql) [\(binds.map(\.description).joined(separator: ", "))]"
    }

    /// As `description`, with the bind types; still never the values.
    public var debugDescription: String {
        "PGQuery(sql: \(String(reflecting: sql)), binds: [\(binds.map { "\($0.type): \($0.description)" }.joined(separator: ", "))])"
    }
}

extension PGQuery: ExpressibleByStringInterpolation {
    /// A query with no parameters.
    public init(stringLiteral value: String) {
        self.init(unsafeSQL: value)
    }

    /// The query that the interpolation built.
    public init(stringInterpolation: StringInterpolation) {
        self.sql = stringInterpolation.sql
        self.binds = stringInterpolation.binds
        self.encodingError = stringInterpolation.encodingError
    }

    /// Builds a ``PGQuery``: literal segments are SQL, interpolations are binds.
    public struct StringInterpolation: StringInterpolationProtocol, Sendable {
        /// Literal segments are `String`s.
        public typealias StringLiteralType = String

        var sql = ""
        var binds: [PGBind] = []
        var encodingError: PGError?

        /// Starts an empty query.
        public init(literalCapacity: Int, interpolationCount: Int) {
            sql.reserveCapacity(literalCapacity + 3 * interpolationCount)
            binds.reserveCapacity(interpolationCount)
        }

        /// Appends SQL text.
        public mutating func appendLiteral(_ literal: String) {
            sql.append(literal)
        }

        /// Binds `value` as the next parameter and appends its placeholder.
        public mutating func appendInterpolation<Value: PGEncodable>(_ value: Value) {
            do {
                append(PGBind(type: Value.pgType, value: try value.pgEncoded()))
            } catch {
                append(PGBind(type: Value.pgType))
                if encodingError == nil {
                    encodingError = error as? PGError
                        ?? PGError(code: .encoding, message: "parameter $\(binds.count) (\(Value.self)) could not be encoded")
                }
            }
        }

        /// Binds `value`, or `NULL` typed as `Value` when it is `nil`.
        public mutating func appendInterpolation<Value: PGEncodable>(_ value: Value?) {
            switch value {
            case .some(let wrapped): appendInterpolation(wrapped)
            case .none: append(PGBind(type: Value.pgType))
            }
        }

        /// Binds an already built parameter.
        public mutating func appendInterpolation(bind: PGBind) {
            append(bind)
        }

        /// Appends `sql` verbatim. Only for trusted text such as identifiers
        /// chosen from an enum; never for values.
        public mutating func appendInterpolation(unsafeSQL sql: String) {
            self.sql.append(sql)
        }

        private mutating func append(_ bind: PGBind) {
            binds.append(bind)
            sql.append("$\(binds.count)")
        }
    }
}
