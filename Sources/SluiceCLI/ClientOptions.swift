import ArgumentParser
import Foundation

/// Options every client command takes.
struct ClientOptions: ParsableArguments {
    @Option(help: "Server URL (overrides SLUICE_URL and the file sluice login writes).")
    var url: String?

    @Option(help: "Bearer token (overrides SLUICE_TOKEN and the file sluice login writes).")
    var token: String?

    @Option(name: [.short, .customLong("output")], help: "Output format: table, json (the server's JSON) or id (the id or name alone).")
    var output: OutputFormat = .table

    /// A client of the configured server.
    func client() throws(CLIError) -> APIClient {
        try APIClient(config: CLIConfig.resolve(url: url, token: token, environment: ProcessInfo.processInfo.environment))
    }

    /// Runs `body` with a client; a ``CLIError`` is printed as one
    /// `sluice: ...` line on standard error and becomes the exit status.
    func run(_ body: (APIClient) async throws -> Void) async throws {
        try await CLI.run { try await body(try client()) }
    }

    /// `GET path` as a table of its `items` (or the JSON), with the next
    /// page's token on standard error. `--all` follows every page (`--limit`
    /// is then the page size); so does `-o id` without `--limit` or
    /// `--page-token` (unless `followsByDefault` is off: the audit trail),
    /// so that `for x in $(sluice … list -o id)` sees every item.
    func list(
        _ client: APIClient, _ path: String, query: [(String, String?)] = [], page: PageOptions, followsByDefault: Bool = true,
        _ columns: [Column]
    ) async throws {
        let every = page.all || (followsByDefault && output == .id && page.limit == nil && page.pageToken == nil)
        var items: [[String: Any]] = []
        var token = page.pageToken
        var next: String?
        repeat {
            let bytes = try await client.send("GET", path, query: query + [("limit", page.limit.map(String.init)), ("page_token", token)])
            if output == .json && !every { return Output.raw(bytes) }
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
            items += object["items"] as? [[String: Any]] ?? []
            next = object["next_page_token"] as? String
            // A token that does not move would page for ever.
            if next == token { next = nil }
            token = next
        } while every && token != nil
        switch output {
        case .json:
            Output.raw(Array((try? JSONSerialization.data(withJSONObject: ["items": items], options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()))
            return
        case .id:
            items.forEach { Output.line(Output.text($0["id"] ?? $0["name"] ?? $0["version"])) }
        case .table:
            Output.table(items, columns)
        }
        if !every, let next {
            Output.error("more results: add --page-token \(next) (or --all)")
        }
    }

    /// Sends a request and prints the resource it answers with.
    func show(_ client: APIClient, _ method: String, _ path: String, query: [(String, String?)] = [], body: Any? = nil) async throws {
        let bytes = try await client.send(method, path, query: query, body: body)
        print(bytes)
    }

    /// What a deletion prints: a line, or for scripts `{}` (`-o json`) or
    /// the id alone (`-o id`).
    func deleted(_ kind: String, _ id: String, verb: String = "deleted") {
        switch output {
        case .json: Output.line("{}")
        case .id: Output.line(id)
        case .table: Output.line("\(kind) \(id) \(verb)")
        }
    }

    /// Prints an answer: raw JSON, or the object as indented lines.
    func print(_ bytes: [UInt8]) {
        if output == .json { return Output.raw(bytes) }
        guard !bytes.isEmpty, let value = try? JSONSerialization.jsonObject(with: Data(bytes)) else { return }
        if output == .id, let object = value as? [String: Any] {
            return Output.line(Output.text(object["id"] ?? object["name"] ?? object["version"]))
        }
        Output.object(value)
    }
}

/// `--limit` and `--page-token` of list commands (DESIGN.md §3).
struct PageOptions: ParsableArguments {
    @Option(help: "Items per page (1-500; the server's default is 50).")
    var limit: Int?

    @Option(help: "The page token a previous list printed.")
    var pageToken: String?

    @Flag(help: "Every page, not only the first (--limit is then the page size).")
    var all = false

    func validate() throws {
        if let limit, !(1...500).contains(limit) { throw ValidationError("--limit must be from 1 to 500") }
    }
}

/// `-f FILE` for create commands: a JSON or YAML object that flags add to
/// or override.
struct FileOption: ParsableArguments {
    @Option(name: .shortAndLong, help: "A JSON or YAML file with the request body; flags override its fields.")
    var file: String?

    /// The file's object (empty without `-f`) with `flags` merged over it.
    func body(_ flags: [String: Any?]) throws(CLIError) -> [String: Any] {
        var body: [String: Any] = [:]
        if let file {
            let documents = try YAMLDocument.load(path: file)
            guard documents.count == 1, let object = documents[0].value as? [String: Any] else {
                throw CLIError(CLIError.dataError, "\(file): must hold one JSON or YAML object")
            }
            body = object
        }
        for (key, value) in flags {
            if let value { body[key] = value }
        }
        return body
    }
}

/// Running commands: errors to exit statuses.
enum CLI {
    /// Runs `body`; a ``CLIError`` prints `sluice: ...` and exits with its status.
    static func run(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as CLIError {
            Output.error("sluice: \(error.description)")
            throw ExitCode(error.exitCode)
        }
    }

    /// A path segment from a command-line argument.
    static func segment(_ value: String) -> String { APIClient.segment(value) }
}
