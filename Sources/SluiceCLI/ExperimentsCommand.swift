import ArgumentParser
import Foundation

/// `sluice experiments ...` (DESIGN.md §4).
struct ExperimentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "experiments", abstract: "Experiments (runs: sluice runs).",
        subcommands: [List.self, Get.self, Create.self, Delete.self])

    static func path(_ name: String) -> String { "/v1/experiments/\(CLI.segment(name))" }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List experiments.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        func run() async throws {
            try await options.run { client in
                try await options.list(client, "/v1/experiments", page: page, [
                    Column("NAME", "name"), Column("DATASET", "dataset"), Column("IMAGE", "image"),
                    Column("REPOSITORY", "code.repository"), Column("BRANCH", "code.branch"), Column("TRIGGER", "trigger"),
                ])
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an experiment.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The experiment's name.") var name: String
        func run() async throws {
            try await options.run { client in try await options.show(client, "GET", ExperimentsCommand.path(name)) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an experiment (parameters only through -f).")
        @OptionGroup var options: ClientOptions
        @OptionGroup var file: FileOption
        @Option var name: String?
        @Option(help: "Kubeflow pipeline id.") var pipelineID: String?
        @Option(help: "Kubeflow pipeline version id.") var pipelineVersionID: String?
        @Option(help: "Bitbucket repository, workspace/name.") var repository: String?
        @Option var branch: String?
        @Option(help: "<ecr repo>:<tag>") var image: String?
        @Option var dataset: String?
        @Option(help: "manual or push.") var trigger: String?
        func run() async throws {
            try await options.run { api in
                var body = try file.body(["name": name, "image": image, "dataset": dataset, "trigger": trigger])
                var kubeflow = body["kubeflow"] as? [String: Any] ?? [:]
                if let pipelineID { kubeflow["pipeline_id"] = pipelineID }
                if let pipelineVersionID { kubeflow["pipeline_version_id"] = pipelineVersionID }
                if !kubeflow.isEmpty { body["kubeflow"] = kubeflow }
                var code = body["code"] as? [String: Any] ?? [:]
                if let repository { code["repository"] = repository }
                if let branch { code["branch"] = branch }
                if !code.isEmpty { body["code"] = code }
                try await options.show(api, "POST", "/v1/experiments", body: body)
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an experiment that has no run in progress.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The experiment's name.") var name: String
        func run() async throws {
            try await options.run { client in
                try await client.send("DELETE", ExperimentsCommand.path(name))
                options.deleted("experiment", name)
            }
        }
    }
}

/// `sluice runs start|list|get|cancel EXPERIMENT ...`.
struct RunsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "runs", abstract: "Runs of an experiment.", subcommands: [Start.self, List.self, Get.self, Cancel.self])

    /// The states a run never leaves.
    static let terminal: Set<String> = ["succeeded", "failed", "canceled"]
    /// The terminal states that are not a success (`--wait` exits 1).
    static let unsuccessful: Set<String> = ["failed", "canceled"]

    static func path(_ experiment: String) -> String { ExperimentsCommand.path(experiment) + "/runs" }

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a run.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var waiting: WaitOptions
        @Argument(help: "The experiment's name.") var experiment: String
        @Option(help: "The commit to run (default: the branch head).") var commit: String?
        func run() async throws {
            try await options.run { client in
                var body: [String: Any] = [:]
                if let commit { body["commit"] = commit }
                var bytes = try await client.send("POST", RunsCommand.path(experiment), body: body)
                if waiting.wait {
                    let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any]
                    let id = object?["id"] as? String ?? ""
                    bytes = try await waiting.poll(
                        client, RunsCommand.path(experiment) + "/\(CLI.segment(id))", label: "run \(id)", terminal: RunsCommand.terminal)
                    options.print(bytes)
                    return try WaitOptions.requireSuccess(bytes, label: "run \(id)", failed: RunsCommand.unsuccessful)
                }
                options.print(bytes)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an experiment's runs, newest first.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        @Argument(help: "The experiment's name.") var experiment: String
        func run() async throws {
            try await options.run { client in
                try await options.list(client, RunsCommand.path(experiment), page: page, [
                    Column("ID", "id"), Column("STATUS", "status"), Column("TRIGGER", "trigger"), Column("COMMIT", "commit"),
                    Column("DATASET VERSION", "dataset_version"), Column("CREATED", "created_at"),
                ])
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a run.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The experiment's name.") var experiment: String
        @Argument(help: "The run's id.") var id: String
        func run() async throws {
            try await options.run { client in
                try await options.show(client, "GET", RunsCommand.path(experiment) + "/\(CLI.segment(id))")
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a run that has not finished.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The experiment's name.") var experiment: String
        @Argument(help: "The run's id.") var id: String
        func run() async throws {
            try await options.run { client in
                try await options.show(client, "POST", RunsCommand.path(experiment) + "/\(CLI.segment(id))/cancel", body: [String: Any]())
            }
        }
    }
}
