import ArgumentParser
import Foundation

/// `sluice datasets ...` (DESIGN.md §4).
struct DatasetsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "datasets", abstract: "Datasets and their versions.",
        subcommands: [List.self, Get.self, Create.self, Delete.self, Snapshot.self, Versions.self, Version.self])

    static let versionColumns = [
        Column("VERSION", "version"), Column("STATUS", "status"), Column("FUNDS", "approved_funds_version"),
        Column("IN", "records_in"), Column("OUT", "records_out"), Column("CREATED", "created_at"),
    ]
    /// The states a version never leaves.
    static let terminal: Set<String> = ["ready", "quarantined", "failed"]
    /// The terminal states that are not a success (`--wait` exits 1).
    static let unsuccessful: Set<String> = ["quarantined", "failed"]

    static func path(_ name: String) -> String { "/v1/datasets/\(CLI.segment(name))" }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List datasets.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        func run() async throws {
            try await options.run { client in
                try await options.list(client, "/v1/datasets", page: page, [
                    Column("NAME", "name"), Column("CLIENT", "client"), Column("FORMAT", "format"),
                    Column("SOURCE", "source_uri"), Column("DESTINATION", "destination_uri"),
                ])
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a dataset.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The dataset's name.") var name: String
        func run() async throws {
            try await options.run { client in try await options.show(client, "GET", DatasetsCommand.path(name)) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a dataset (gates only through -f).")
        @OptionGroup var options: ClientOptions
        @OptionGroup var file: FileOption
        @Option var name: String?
        @Option var client: String?
        @Option(help: "s3:// prefix in the Staging Zone.") var sourceURI: String?
        @Option(help: "s3:// prefix in the R&D Zone.") var destinationURI: String?
        @Option(help: "csv, csv.gz or jsonl.") var format: String?
        @Option(help: "The column holding the fund id.") var fundColumn: String?
        func run() async throws {
            try await options.run { api in
                let body = try file.body([
                    "name": name, "client": client, "source_uri": sourceURI, "destination_uri": destinationURI,
                    "format": format, "fund_column": fundColumn,
                ])
                try await options.show(api, "POST", "/v1/datasets", body: body)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a dataset and its versions.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The dataset's name.") var name: String
        func run() async throws {
            try await options.run { client in
                try await client.send("DELETE", DatasetsCommand.path(name))
                options.deleted("dataset", name)
            }
        }
    }

    struct Snapshot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Request a new version: the filtered copy of the source with its quality report.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var waiting: WaitOptions
        @Argument(help: "The dataset's name.") var name: String
        func run() async throws {
            try await options.run { client in
                var bytes = try await client.send("POST", DatasetsCommand.path(name) + "/versions", body: [String: Any]())
                if waiting.wait {
                    let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
                    let version = (object?["version"] as? NSNumber)?.intValue ?? 0
                    bytes = try await waiting.poll(
                        client, DatasetsCommand.path(name) + "/versions/\(version)", label: "\(name) version \(version)",
                        terminal: DatasetsCommand.terminal)
                    options.print(bytes)
                    return try WaitOptions.requireSuccess(bytes, label: "\(name) version \(version)", failed: DatasetsCommand.unsuccessful)
                }
                options.print(bytes)
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a dataset's versions, newest first.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        @Argument(help: "The dataset's name.") var name: String
        func run() async throws {
            try await options.run { client in
                try await options.list(client, DatasetsCommand.path(name) + "/versions", page: page, DatasetsCommand.versionColumns)
            }
        }
    }

    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one version with its quality report.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The dataset's name.") var name: String
        @Argument(help: "The version number.") var version: Int
        func run() async throws {
            try await options.run { client in
                try await options.show(client, "GET", DatasetsCommand.path(name) + "/versions/\(version)")
            }
        }
    }
}
