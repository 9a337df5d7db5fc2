import SluiceAWS

/// A request written as text in the AWS suites (`.req`, `request.txt`,
/// `*-signed-request.txt`): LF line ends, a request line whose target may hold
/// raw spaces and UTF-8, headers, a blank line, then the body.
struct RawHTTPRequest {
    var method: String
    var target: String
    var headers: [(String, String)]
    var body: [UInt8]

    struct ParseError: Error, CustomStringConvertible {
        var description: String
    }

    init(parsing text: String) throws {
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasSuffix("\r") ? line.dropLast() : line
        }[...]
        guard let requestLine = lines.popFirst(),
            let firstSpace = requestLine.firstIndex(of: " "),
            let lastSpace = requestLine.lastIndex(of: " "),
            firstSpace < lastSpace
        else {
            throw ParseError(description: "no request line in \(text.debugDescription)")
        }
        method = String(requestLine[..<firstSpace])
        target = String(requestLine[requestLine.index(after: firstSpace)..<lastSpace])
        headers = []
        while let line = lines.popFirst(), !line.isEmpty {
            if line.first == " " || line.first == "\t" {
                // obs-fold (RFC 9112 §5.2): the continuation joins the previous value after one SP.
                guard let last = headers.popLast() else {
                    throw ParseError(description: "continuation line before any header: \(line)")
                }
                headers.append((last.0, last.1 + " " + line.trimmingWhitespace()))
                continue
            }
            guard let colon = line.firstIndex(of: ":") else {
                throw ParseError(description: "header line without a colon: \(line)")
            }
            headers.append((String(line[..<colon]), line[line.index(after: colon)...].trimmingWhitespace()))
        }
        body = Array(lines.joined(separator: "\n").utf8)
    }

    /// The target's path (before the first `?`).
    var path: String { String(target.prefix { $0 != "?" }) }

    /// The target's query (after the first `?`), or empty.
    var query: String {
        guard let mark = target.firstIndex(of: "?") else { return "" }
        return String(target[target.index(after: mark)...])
    }

    var awsRequest: AWSRequest {
        AWSRequest(method: method, path: path, query: query, headers: headers)
    }

    /// Header fields as a sorted list of `name(lower-case):value`, for order-free comparison.
    static func normalizedHeaders(_ headers: [(String, String)], excluding: Set<String> = []) -> [String] {
        headers.map { ($0.0.lowercased(), $0.1.trimmingWhitespace()) }
            .filter { !excluding.contains($0.0) }
            .map { "\($0.0):\($0.1)" }
            .sorted()
    }

    /// Query parameters as a sorted list of raw `name=value` strings.
    static func normalizedQuery(_ query: String) -> [String] {
        query.split(separator: "&").map(String.init).sorted()
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        let scalars = unicodeScalars
        let isSpace: (Unicode.Scalar) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = scalars.firstIndex(where: { !isSpace($0) }),
            let end = scalars.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(String.UnicodeScalarView(scalars[start...end]))
    }
}
