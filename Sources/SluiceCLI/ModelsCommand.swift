import ArgumentParser
import Foundation

/// `sluice models ...` (DESIGN.md §4).
struct ModelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "models", abstract: "Models and their immutable versions.",
        subcommands: [List.self, Get.self, Create.self, Delete.self, Versions.self, Version.self, RegisterVersion.self])

    static func path(_ name: String) -> String { "/v1/models/\(CLI.segment(name))" }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List models.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        func run() async throws {
            try await options.run { client in
                try await options.list(client, "/v1/models", page: page, [
                    Column("NAME", "name"), Column("TASK", "task"), Column("LATEST", "latest_version"), Column("CREATED", "created_at"),
                ])
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a model.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The model's name.") var name: String
        func run() async throws {
            try await options.run { client in try await options.show(client, "GET", ModelsCommand.path(name)) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a model.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var file: FileOption
        @Option var name: String?
        @Option(help: "classification or regression.") var task: String?
        func run() async throws {
            try await options.run { client in
                try await options.show(client, "POST", "/v1/models", body: try file.body(["name": name, "task": task]))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a model no deployment uses.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The model's name.") var name: String
        func run() async throws {
            try await options.run { client in
                try await client.send("DELETE", ModelsCommand.path(name))
                options.deleted("model", name)
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List a model's versions, newest first.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        @Argument(help: "The model's name.") var name: String
        func run() async throws {
            try await options.run { client in
                try await options.list(client, ModelsCommand.path(name) + "/versions", page: page, [
                    Column("VERSION", "version"), Column("IMAGE", "image"), Column("ARTIFACT", "artifact_uri"),
                    Column("RUN", "lineage.run_id"), Column("CREATED", "created_at"),
                ])
            }
        }
    }

    struct Version: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one version with its lineage.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The model's name.") var name: String
        @Argument(help: "The version number.") var version: Int
        func run() async throws {
            try await options.run { client in try await options.show(client, "GET", ModelsCommand.path(name) + "/versions/\(version)") }
        }
    }

    struct RegisterVersion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register the next version: the image tag is resolved to its digest, the artifact checked to exist.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var file: FileOption
        @Argument(help: "The model's name.") var name: String
        @Option(help: "s3://bucket/key of the model artifact.") var artifactURI: String?
        @Option(help: "<ecr repo>:<tag> of the model server image.") var image: String?
        @Option(help: "The run that built it (its lineage is recorded).") var runID: String?
        func run() async throws {
            try await options.run { client in
                let body = try file.body(["artifact_uri": artifactURI, "image": image, "run_id": runID])
                try await options.show(client, "POST", ModelsCommand.path(name) + "/versions", body: body)
            }
        }
    }
}
