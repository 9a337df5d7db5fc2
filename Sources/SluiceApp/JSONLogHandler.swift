import Foundation
public import Logging
import SluiceHTTP

/// Writes one JSON object per line to standard error:
/// `{"ts","level","label","msg",...metadata}`. Metadata values are strings;
/// callers never put secrets in them.
public struct JSONLogHandler: LogHandler {
    /// Level below which nothing is written.
    public var logLevel: Logger.Level
    /// Metadata attached to every line of this logger.
    public var metadata: Logger.Metadata = [:]
    private let label: String

    /// Creates a handler for `label`.
    public init(label: String, level: Logger.Level = .info) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let extra = event.metadata { fields.merge(extra) { _, new in new } }
        var line = "{\"ts\":\"\(Self.timestamp())\",\"level\":\"\(event.level)\",\"label\":\"\(Self.escape(label))\",\"msg\":\"\(Self.escape("\(event.message)"))\""
        for key in fields.keys.sorted() {
            guard let value = fields[key] else { continue }
            line += ",\"\(Self.escape(key))\":\"\(Self.escape("\(value)"))\""
        }
        line += "}\n"
        FileHandle.standardError.write(Data(line.utf8))
    }

    /// RFC 3339 UTC with milliseconds, without a formatter object per line.
    static func timestamp() -> String {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        var seconds = ts.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", parts.tm_year + 1900, parts.tm_mon + 1, parts.tm_mday,
            parts.tm_hour, parts.tm_min, parts.tm_sec, Int(ts.tv_nsec / 1_000_000))
    }

    static func escape(_ text: String) -> String {
        ProblemDocument.escape(text)
    }
}
