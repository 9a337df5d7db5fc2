import ArgumentParser
import Foundation

/// `sluice apply -f PATH [--prune] [--dry-run]` and `sluice diff -f PATH`
/// (DESIGN.md §4, config as code). The documents are read here, sent to
/// `POST /v1/apply` as one set, and checked there by the resources' own
/// rules; problems come back as field paths (`documents[2].spec.format`)
/// that are turned into `file:line` through the YAML nodes' marks.
struct ApplyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Make the server match YAML documents: all of them in one transaction, or none.",
        discussion: """
            Each document is {kind, metadata: {name}, spec}; kinds ApprovedFunds (metadata.name is the client),
            Dataset, Experiment, Model, Deployment and PromotionPolicy (metadata.region and metadata.endpoint, or
            metadata.name region/endpoint). spec holds the fields of the resource's POST (PUT) body.
            """)

    @OptionGroup var options: ClientOptions
    @OptionGroup var input: DocumentsOptions

    @Flag(help: "Also delete datasets, experiments, models and deployments of the applied kinds that the files do not name (admin).")
    var prune = false

    @Flag(help: "Show the plan; change nothing.")
    var dryRun = false

    func run() async throws {
        try await CLI.run {
            let documents = try input.load()
            let client = try options.client()
            let bytes = try await ApplyCommand.send(client, documents, prune: prune, dryRun: dryRun)
            ApplyCommand.printPlan(bytes, documents, options: options, onlyChanges: false)
        }
    }

    /// `POST /v1/apply`; a problem names the files and lines it is about.
    static func send(_ client: APIClient, _ documents: [YAMLDocument], prune: Bool, dryRun: Bool) async throws(CLIError) -> [UInt8] {
        do {
            return try await client.send(
                "POST", "/v1/apply", query: [("dry_run", dryRun ? "true" : nil)],
                body: ["documents": documents.map(\.value), "prune": prune])
        } catch {
            throw locate(error, documents)
        }
    }

    /// Rewrites a problem's `documents[i]...` paths as `file:line`.
    static func locate(_ error: CLIError, _ documents: [YAMLDocument]) -> CLIError {
        // Not a problem document (a proxy's page, no answer at all): the
        // error as it is, and no claim about what was applied.
        guard !error.problemBody.isEmpty,
            let object = (try? JSONSerialization.jsonObject(with: Data(error.problemBody))) as? [String: Any], object["title"] != nil
        else { return error }
        var lines: [String] = []
        let fields = error.fieldErrors
        for (field, message) in fields {
            guard let (index, path) = YAMLDocument.parse(fieldPath: field), documents.indices.contains(index) else {
                lines.append("\(field): \(message)")
                continue
            }
            let document = documents[index]
            let shown = path.map { component -> String in
                switch component {
                case .key(let key): ".\(key)"
                case .index(let index): "[\(index)]"
                }
            }.joined().dropFirst()
            lines.append("\(document.file):\(document.line(of: path)): \(shown.isEmpty ? "document" : String(shown)): \(message)")
        }
        if fields.isEmpty, let detail = object["detail"] as? String {
            // `documents[3] (Kind name): why` from a failure while applying.
            if let close = detail.firstIndex(of: "]"), let (index, _) = YAMLDocument.parse(fieldPath: String(detail[...close])),
                documents.indices.contains(index) {
                lines.append("\(documents[index].file):\(documents[index].line): \(detail)")
            } else {
                lines.append(detail)
            }
        }
        let status = object["status"].map { Output.text($0) } ?? ""
        let title = object["title"] as? String ?? ""
        // A refusal (4xx) changed nothing: the set is applied in one
        // transaction. After a 5xx the server cannot always know.
        let outcome = (400..<500).contains(error.httpStatus) ? "nothing was applied" : "the outcome is unknown: run sluice diff"
        var located = CLIError(error.exitCode, "\(status) \(title): \(outcome)\n" + lines.joined(separator: "\n"))
        located.problemBody = error.problemBody
        return located
    }

    /// The plan as a table and a summary line (or the server's JSON).
    static func printPlan(_ bytes: [UInt8], _ documents: [YAMLDocument], options: ClientOptions, onlyChanges: Bool) {
        if options.output == .json { return Output.raw(bytes) }
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
        let steps = (object["steps"] as? [[String: Any]] ?? []).map { step in
            var step = step
            if let index = (step["index"] as? NSNumber)?.intValue, documents.indices.contains(index) {
                step["source"] = "\(documents[index].file):\(documents[index].line)"
            }
            if let changes = step["changes"] as? [String], !changes.isEmpty { step["changed"] = changes.joined(separator: ",") }
            return step
        }
        let shown = onlyChanges ? steps.filter { $0["action"] as? String != "unchanged" } : steps
        if !shown.isEmpty {
            Output.table(shown, [
                Column("ACTION", "action"), Column("KIND", "kind"), Column("NAME", "name"), Column("CHANGES", "changed"),
                Column("SOURCE", "source"),
            ])
        }
        let summary = object["summary"] as? [String: Any] ?? [:]
        func count(_ key: String) -> String { Output.text(summary[key] ?? 0) }
        let dryRun = object["dry_run"] as? Bool ?? true
        Output.line("\(dryRun ? "plan" : "applied"): \(count("create")) to create, \(count("update")) to update, "
            + "\(count("unchanged")) unchanged, \(count("delete")) to delete")
    }
}

/// `sluice diff -f PATH`: what `apply` would change, changing nothing.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff", abstract: "Show what sluice apply would create, update or delete (a dry run).")

    @OptionGroup var options: ClientOptions
    @OptionGroup var input: DocumentsOptions

    @Flag(help: "Include what --prune would delete.")
    var prune = false

    func run() async throws {
        try await CLI.run {
            let documents = try input.load()
            let client = try options.client()
            let bytes = try await ApplyCommand.send(client, documents, prune: prune, dryRun: true)
            ApplyCommand.printPlan(bytes, documents, options: options, onlyChanges: true)
        }
    }
}

/// `-f FILE|FOLDER`, repeatable.
struct DocumentsOptions: ParsableArguments {
    @Option(name: .shortAndLong, help: "A YAML file (documents separated by ---) or a folder of *.yaml/*.yml files, read in name order.")
    var file: [String] = []

    func validate() throws {
        if file.isEmpty { throw ValidationError("give at least one -f FILE or folder") }
    }

    /// Every document, each a mapping (what is in it is the server's to judge).
    func load() throws(CLIError) -> [YAMLDocument] {
        var documents: [YAMLDocument] = []
        for path in file { documents += try YAMLDocument.load(path: path) }
        if documents.isEmpty { throw CLIError(CLIError.dataError, "\(file.joined(separator: ", ")): no documents") }
        for document in documents where !(document.value is [String: Any]) {
            throw CLIError(CLIError.dataError, "\(document.file):\(document.line): a document must be a mapping with kind, metadata and spec")
        }
        return documents
    }
}
