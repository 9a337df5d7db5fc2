import CLibPQ

/// Turns a ``PGConnectionConfiguration`` into libpq keyword/value pairs:
/// the URL parsed by `PQconninfoParse` (so every form libpq accepts works),
/// with this library's session options placed before the URL's own
/// `options` (later `-c` settings win, so the URL can override them).
enum PGConnInfo {
    static func keywords(for configuration: PGConnectionConfiguration) throws -> [(String, String)] {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(configuration.url, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            // libpq's message can quote the whole URL, password included: not repeated here.
            throw PGError(code: .connectionFailed, message: "the connection URL is not valid libpq syntax")
        }
        defer { PQconninfoFree(parsed) }

        var pairs: [(String, String)] = []
        var option = parsed
        while let keyword = option.pointee.keyword {
            if let value = option.pointee.val {
                pairs.append((String(cString: keyword), String(cString: value)))
            }
            option += 1
        }

        func value(_ keyword: String) -> String? { pairs.first { $0.0 == keyword }?.1 }
        func set(_ keyword: String, _ newValue: String) {
            pairs.removeAll { $0.0 == keyword }
            pairs.append((keyword, newValue))
        }

        let options = (configuration.sessionOptions + [value("options")].compactMap { $0 }).joined(separator: " ")
        set("options", options)
        set("client_encoding", "UTF8")  // rows are decoded as UTF-8
        if value("connect_timeout") == nil {
            let seconds = max(2, PGConnectionConfiguration.milliseconds(configuration.connectTimeout) / 1000)
            set("connect_timeout", String(seconds))
        }
        if let name = configuration.applicationName, value("application_name") == nil {
            set("application_name", name)
        }
        // Notice a dead peer on an idle TCP connection (the listener's above
        // all), and one that stopped acknowledging what was sent (a server
        // gone without a reset: a statement would otherwise wait out TCP's
        // retransmissions, about 15 minutes): 60 s without an acknowledgement
        // drops the connection.
        for (keyword, defaultValue) in [
            ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"), ("tcp_user_timeout", "60000"),
        ] where value(keyword) == nil {
            set(keyword, defaultValue)
        }
        return pairs
    }

    /// Calls `body` with NULL-terminated C arrays of keywords and values.
    static func withCArrays<R>(
        _ pairs: [(String, String)],
        _ body: (UnsafePointer<UnsafePointer<CChar>?>, UnsafePointer<UnsafePointer<CChar>?>) throws -> R
    ) throws -> R {
        let strings = PGCStrings(pairs.flatMap { [Array($0.0.utf8), Array($0.1.utf8)] })
        return try strings.withPointers { pointers in
            var keywords = stride(from: 0, to: pointers.count, by: 2).map { pointers[$0] }
            var values = stride(from: 1, to: pointers.count, by: 2).map { pointers[$0] }
            keywords.append(nil)
            values.append(nil)
            return try keywords.withUnsafeBufferPointer { k in
                try values.withUnsafeBufferPointer { v in
                    guard let kBase = k.baseAddress, let vBase = v.baseAddress else {
                        throw PGError(code: .connectionFailed, message: "no connection parameters")
                    }
                    return try body(kBase, vBase)
                }
            }
        }
    }
}

extension PGConnectionConfiguration {
    /// Whether libpq accepts `url` as a connection string (nothing is
    /// connected): a typo in a parameter name (`sslmod=`) is found at start,
    /// not on every connection attempt.
    public static func isValidURL(_ url: String) -> Bool {
        var errorMessage: UnsafeMutablePointer<CChar>?
        guard let parsed = PQconninfoParse(url, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return false
        }
        PQconninfoFree(parsed)
        return true
    }
}
