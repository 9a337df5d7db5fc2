/// How to open a connection: where, and the session settings every
/// connection of a pool starts with.
public struct PGConnectionConfiguration: Sendable {
    /// A libpq connection URI or keyword string:
    /// `postgres://user:password@host:5432/db`, a Unix socket as
    /// `postgres:///db?host=/run/postgresql` or `postgresql://user@%2Frun%2Fpostgresql/db`,
    /// or `host=... dbname=...`. Parameters given here win over the defaults below.
    public var url: String
    /// `statement_timeout` of every session: a statement running longer fails
    /// with ``PGError/Code/timeout``. Default 30 seconds; `nil` means none.
    public var statementTimeout: Duration?
    /// How long to wait for the server when connecting (libpq
    /// `connect_timeout`, whole seconds, at least 2). Default 10 seconds.
    public var connectTimeout: Duration
    /// `application_name`, shown in `pg_stat_activity`. Default `nil`
    /// (then the URL's, or none).
    public var applicationName: String?
    /// Whether the server may JIT-compile this session's statements. Off by
    /// default: JIT pays off only for long analytical queries, and a short
    /// statement over a partitioned table, whose estimate counts every
    /// partition, can cross `jit_above_cost` and spend seconds compiling
    /// thousands of functions before running in milliseconds.
    public var jit: Bool

    /// A configuration for `url` with the defaults above.
    public init(
        url: String,
        statementTimeout: Duration? = .seconds(30),
        connectTimeout: Duration = .seconds(10),
        applicationName: String? = nil,
        jit: Bool = false
    ) {
        self.url = url
        self.statementTimeout = statementTimeout
        self.connectTimeout = connectTimeout
        self.applicationName = applicationName
        self.jit = jit
    }

    /// Session settings at connection start: the ones this library depends
    /// on to read values back (UTC ISO timestamps, hex `bytea`), then
    /// `statement_timeout` and `jit` from this configuration. Sent as `-c`
    /// options, so `RESET` returns to them. Options in the URL come after
    /// these and win.
    var sessionOptions: [String] {
        var options = ["-c TimeZone=UTC", "-c DateStyle=ISO,MDY", "-c bytea_output=hex", "-c IntervalStyle=iso_8601"]
        let milliseconds = statementTimeout.map { Self.milliseconds($0) } ?? 0
        options.append("-c statement_timeout=\(milliseconds)")
        options.append("-c jit=\(jit ? "on" : "off")")
        return options
    }

    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(0, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
