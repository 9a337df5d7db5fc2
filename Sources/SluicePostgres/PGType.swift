/// A PostgreSQL type, by its OID in `pg_type` (stable for built-in types).
///
/// Bound parameters carry one so that the server does not have to guess;
/// ``unknown`` lets it infer the type from context, as for a quoted literal.
public struct PGType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The OID.
    public var rawValue: UInt32

    /// A type by OID.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// OID 0: the server infers the type from context, like a quoted literal.
    public static let unknown = PGType(rawValue: 0)
    /// `bool`.
    public static let bool = PGType(rawValue: 16)
    /// `bytea`.
    public static let bytea = PGType(rawValue: 17)
    /// `int8` (`bigint`).
    public static let int8 = PGType(rawValue: 20)
    /// `int2` (`smallint`).
    public static let int2 = PGType(rawValue: 21)
    /// `int4` (`integer`).
    public static let int4 = PGType(rawValue: 23)
    /// `text`.
    public static let text = PGType(rawValue: 25)
    /// `json`.
    public static let json = PGType(rawValue: 114)
    /// `float4` (`real`).
    public static let float4 = PGType(rawValue: 700)
    /// `float8` (`double precision`).
    public static let float8 = PGType(rawValue: 701)
    /// `bool[]`.
    public static let boolArray = PGType(rawValue: 1000)
    /// `int2[]`.
    public static let int2Array = PGType(rawValue: 1005)
    /// `int4[]`.
    public static let int4Array = PGType(rawValue: 1007)
    /// `text[]`.
    public static let textArray = PGType(rawValue: 1009)
    /// `varchar[]`.
    public static let varcharArray = PGType(rawValue: 1015)
    /// `int8[]`.
    public static let int8Array = PGType(rawValue: 1016)
    /// `float8[]`.
    public static let float8Array = PGType(rawValue: 1022)
    /// `varchar`.
    public static let varchar = PGType(rawValue: 1043)
    /// `date`.
    public static let date = PGType(rawValue: 1082)
    /// `timestamp` (without time zone).
    public static let timestamp = PGType(rawValue: 1114)
    /// `timestamptz` (`timestamp with time zone`).
    public static let timestamptz = PGType(rawValue: 1184)
    /// `timestamptz[]`.
    public static let timestamptzArray = PGType(rawValue: 1185)
    /// `numeric`.
    public static let numeric = PGType(rawValue: 1700)
    /// `uuid`.
    public static let uuid = PGType(rawValue: 2950)
    /// `uuid[]`.
    public static let uuidArray = PGType(rawValue: 2951)
    /// `jsonb`.
    public static let jsonb = PGType(rawValue: 3802)
    /// `jsonb[]`.
    public static let jsonbArray = PGType(rawValue: 3807)

    /// `oid:<n>`, or the type's name for the types listed here.
    public var description: String {
        Self.names[rawValue] ?? "oid:\(rawValue)"
    }

    private static let names: [UInt32: String] = [
        0: "unknown", 16: "bool", 17: "bytea", 20: "int8", 21: "int2", 23: "int4", 25: "text",
        114: "json", 700: "float4", 701: "float8", 1000: "bool[]", 1005: "int2[]", 1007: "int4[]",
        1009: "text[]", 1015: "varchar[]", 1016: "int8[]", 1022: "float8[]", 1043: "varchar",
        1082: "date", 1114: "timestamp", 1184: "timestamptz", 1185: "timestamptz[]", 1700: "numeric",
        2950: "uuid", 2951: "uuid[]", 3802: "jsonb", 3807: "jsonb[]",
    ]
}
