import Foundation
import SluiceHTTPClient

/// The Sluice REST API for the client commands: bearer token, JSON bodies,
/// problem documents turned into ``CLIError``s.
final class APIClient: Sendable {
    let config: CLIConfig
    private let http: CurlHTTPClient

    /// A client of the server `config` names; `URL` without a trailing slash.
    init(config: CLIConfig) throws(CLIError) {
        guard let url = URL(string: config.url), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw CLIError(CLIError.usage, "the server URL must be http(s)://host[:port], not \(config.url)")
        }
        if url.scheme == "http", let host = url.host, !Self.isLoopback(host) {
            // Allowed (a cluster-internal address behind its own network
            // controls), but never silently: the token travels in clear.
            Output.error("warning: \(config.url) is plain http: the bearer token is sent unencrypted (use https)")
        }
        var normalized = config
        while normalized.url.hasSuffix("/") { normalized.url.removeLast() }
        self.config = normalized
        do {
            var configuration = CurlHTTPClient.Configuration()
            configuration.maxConnections = 2
            configuration.connectTimeout = .seconds(5)
            configuration.userAgent = "sluice-cli"
            http = try CurlHTTPClient(configuration: configuration)
        } catch {
            throw CLIError(CLIError.unavailable, "cannot start the HTTP client: \(error)")
        }
    }

    deinit { http.shutdown() }

    /// The first 200 bytes of an answer that is not Sluice's, on one line.
    static func start(of body: [UInt8]) -> String {
        String(decoding: body.prefix(200), as: UTF8.self).replacingOccurrences(of: "\n", with: " ").trimmingCharacters(in: .whitespaces)
    }

    /// `localhost`, `127.0.0.0/8` or `::1`.
    static func isLoopback(_ host: String) -> Bool {
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return bare == "localhost" || bare == "::1" || bare.hasPrefix("127.")
    }

    /// Sends `method path?query` with `body` (a JSON value) and returns the
    /// 2xx body. Anything else throws: a problem document as exit 1, no
    /// answer as exit 69.
    @discardableResult
    func send(_ method: String, _ path: String, query: [(String, String?)] = [], body: Any? = nil) async throws(CLIError) -> [UInt8] {
        var url = config.url + path
        let pairs = query.compactMap { name, value in value.map { "\(name)=\(Self.escape($0))" } }
        if !pairs.isEmpty { url += "?" + pairs.joined(separator: "&") }
        var headers = [("Authorization", "Bearer \(config.token)"), ("Accept", "application/json")]
        var bytes: [UInt8] = []
        if let body {
            do {
                bytes = Array(try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys, .withoutEscapingSlashes]))
            } catch {
                throw CLIError(CLIError.dataError, "the request body is not JSON: \(error.localizedDescription)")
            }
            headers.append(("Content-Type", "application/json"))
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(HTTPClientRequest(method: method, url: url, headers: headers, body: bytes), timeout: .seconds(60))
        } catch let error as HTTPClientError {
            throw CLIError(CLIError.unavailable, "cannot reach \(config.url): \(error.message.isEmpty ? error.description : error.message)")
        } catch {
            throw CLIError(CLIError.unavailable, "cannot reach \(config.url): \(error)")
        }
        guard (200..<300).contains(response.status) else { throw Self.problem(response, method: method, path: path) }
        // A success that is not JSON did not come from Sluice (a sign-in
        // page, a wrong --url path): shown as it is, not as an empty list.
        let type = response.header("Content-Type")?.lowercased() ?? ""
        if !response.body.isEmpty && !type.contains("json") {
            throw CLIError(
                CLIError.apiFailure,
                "\(method) \(path): \(response.status) with \(type.isEmpty ? "no content type" : type), not Sluice's JSON: \(Self.start(of: response.body))")
        }
        return response.body
    }

    /// `send` and the answer parsed as JSON.
    func json(_ method: String, _ path: String, query: [(String, String?)] = [], body: Any? = nil) async throws(CLIError) -> Any {
        let bytes = try await send(method, path, query: query, body: body)
        if bytes.isEmpty { return [String: Any]() }
        guard let value = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            throw CLIError(CLIError.apiFailure, "\(method) \(path): the server's answer is not JSON")
        }
        return value
    }

    /// The problem document of a failed call: `status title: detail` and one
    /// line per field error.
    static func problem(_ response: HTTPClientResponse, method: String, path: String) -> CLIError {
        let object = (try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any] ?? [:]
        let title = object["title"] as? String ?? "HTTP \(response.status)"
        var text = "\(response.status) \(title)"
        if let detail = object["detail"] as? String, !detail.isEmpty { text += ": \(detail)" }
        if object["title"] == nil {
            // Not Sluice's answer (a proxy, a sign-in page, a redirect): say
            // what came back instead.
            if let location = response.header("Location") { text += " (Location: \(location))" }
            let start = Self.start(of: response.body)
            text += ", not a problem document (\(response.header("Content-Type") ?? "no content type"))" + (start.isEmpty ? "" : ": \(start)")
        }
        let fields = (object["errors"] as? [[String: Any]] ?? []).compactMap { error -> String? in
            guard let field = error["field"] as? String, let message = error["message"] as? String else { return nil }
            return "  \(field): \(message)"
        }
        // Field errors are already in the detail when there is one; list
        // them only when the detail would hide them.
        if !fields.isEmpty && (object["detail"] as? String ?? "").isEmpty { text += "\n" + fields.joined(separator: "\n") }
        var error = CLIError(CLIError.apiFailure, text)
        error.problemBody = response.body
        error.httpStatus = response.status
        return error
    }

    /// Percent-encodes a query value (RFC 3986 unreserved characters kept).
    static func escape(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// `segment` for a path: resource names and ids need no escaping, but
    /// anything typed on a command line might.
    static func segment(_ value: String) -> String { escape(value) }
}
