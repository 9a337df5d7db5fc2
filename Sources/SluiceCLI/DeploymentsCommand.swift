import ArgumentParser
import Foundation

/// `sluice deployments ...` (DESIGN.md §4).
struct DeploymentsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deployments", abstract: "Deployments: live and stealth models behind an endpoint.",
        subcommands: [List.self, Get.self, Create.self, Delete.self, Scale.self, SetVersion.self, Promote.self, Approve.self])

    static func path(_ id: String) -> String { "/v1/deployments/\(CLI.segment(id))" }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List deployments.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        @Option(help: "Only this region.") var region: String?
        @Option(help: "Only this endpoint.") var endpoint: String?
        func run() async throws {
            try await options.run { client in
                try await options.list(client, "/v1/deployments", query: [("region", region), ("endpoint", endpoint)], page: page, [
                    Column("ID", "id"), Column("NAME", "name"), Column("REGION", "region"), Column("ENDPOINT", "endpoint"),
                    Column("MODEL", "model"), Column("VERSION", "version"), Column("MODE", "mode"), Column("PHASE", "status.phase"),
                ])
            }
        }
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show a deployment with its status.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The deployment's id.") var id: String
        func run() async throws {
            try await options.run { client in try await options.show(client, "GET", DeploymentsCommand.path(id)) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deploy a model version (live needs the deployer role).")
        @OptionGroup var options: ClientOptions
        @OptionGroup var file: FileOption
        @Option var name: String?
        @Option(help: "AWS region, for example eu-west-1.") var region: String?
        @Option var endpoint: String?
        @Option var model: String?
        @Option(help: "The model version.") var version: Int?
        @Option(help: "live or stealth.") var mode: String?
        @Option(help: "EC2 instances (ec2 targets).") var replicas: Int?
        @Option(help: "EC2 instance type (ec2 targets).") var instanceType: String?
        @Option(help: "torchserve or oip.") var runtime: String?
        @Option(name: .customLong("target-url"), help: "A URL of a model server run elsewhere (repeatable); makes the target external.")
        var targetURLs: [String] = []
        @OptionGroup var waiting: WaitOptions
        func run() async throws {
            try await options.run { client in
                var body = try file.body([
                    "name": name, "region": region, "endpoint": endpoint, "model": model, "version": version, "mode": mode,
                    "replicas": replicas, "instance_type": instanceType, "runtime": runtime,
                ])
                if !targetURLs.isEmpty { body["target"] = ["type": "external", "urls": targetURLs] }
                let bytes = try await client.send("POST", "/v1/deployments", body: body)
                options.print(try await DeploymentsCommand.waitIfAsked(waiting, client, bytes))
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete a deployment (its instances are terminated).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The deployment's id.") var id: String
        @OptionGroup var waiting: WaitOptions
        func run() async throws {
            try await options.run { client in
                var bytes = try await client.send("DELETE", DeploymentsCommand.path(id))
                if waiting.wait {
                    // Done when every instance is terminated and the deployment is gone.
                    bytes = try await waiting.poll(
                        client, DeploymentsCommand.path(id), label: "deployment \(id)", terminal: ["deleted"], gone: "deleted",
                        status: DeploymentsCommand.progress)
                    if bytes.isEmpty { return options.deleted("deployment", id) }
                }
                options.print(bytes)
            }
        }
    }

    struct Scale: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Change the number of instances.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The deployment's id.") var id: String
        @Option(help: "The number of instances.") var replicas: Int
        @OptionGroup var waiting: WaitOptions
        func run() async throws {
            try await options.run { client in
                let bytes = try await client.send("PATCH", DeploymentsCommand.path(id), body: ["replicas": replicas])
                options.print(try await DeploymentsCommand.waitIfAsked(waiting, client, bytes))
            }
        }
    }

    struct SetVersion: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-version", abstract: "Roll the deployment to another model version.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The deployment's id.") var id: String
        @Option(help: "The model version.") var version: Int
        @OptionGroup var waiting: WaitOptions
        func run() async throws {
            try await options.run { client in
                let bytes = try await client.send("PATCH", DeploymentsCommand.path(id), body: ["version": version])
                options.print(try await DeploymentsCommand.waitIfAsked(waiting, client, bytes))
            }
        }
    }

    struct Promote: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Turn a stealth deployment live, subject to the endpoint's promotion policy (the live one becomes stealth).")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The stealth deployment's id.") var id: String
        @Flag(help: "Skip the policy (admin; needs --reason).") var force = false
        @Option(help: "Why the policy is skipped.") var reason: String?

        func validate() throws {
            if force && reason == nil { throw ValidationError("--force needs --reason") }
            if !force && reason != nil { throw ValidationError("--reason goes with --force") }
        }

        func run() async throws {
            try await options.run { client in
                var body: [String: Any] = [:]
                if force { body = ["force": true, "reason": reason ?? ""] }
                try await options.show(client, "POST", DeploymentsCommand.path(id) + "/promote", body: body)
            }
        }
    }

    struct Approve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Approve a stealth deployment's promotion.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The stealth deployment's id.") var id: String
        @Option(help: "A comment for the audit trail.") var comment: String?
        func run() async throws {
            try await options.run { client in
                var body: [String: Any] = [:]
                if let comment { body["comment"] = comment }
                try await options.show(client, "POST", DeploymentsCommand.path(id) + "/approvals", body: body)
            }
        }
    }
}

extension DeploymentsCommand {
    /// With `--wait`, polls the deployment in `created` until it is ready
    /// for its latest spec; returns the last answer.
    static func waitIfAsked(_ waiting: WaitOptions, _ client: APIClient, _ created: [UInt8]) async throws(CLIError) -> [UInt8] {
        guard waiting.wait else { return created }
        let object = (try? JSONSerialization.jsonObject(with: Data(created))) as? [String: Any] ?? [:]
        guard let id = object["id"] as? String else { return created }
        return try await waiting.poll(client, path(id), label: "deployment \(id)", terminal: ["ready"], status: progress)
    }

    /// The phase, `ready` only once the status describes the latest
    /// generation, and the reason of the first failing condition.
    static func progress(_ deployment: [String: Any]) -> String {
        let status = deployment["status"] as? [String: Any] ?? [:]
        let phase = status["phase"] as? String ?? "unknown"
        let generation = (deployment["generation"] as? NSNumber)?.intValue ?? 0
        let observed = (status["observed_generation"] as? NSNumber)?.intValue ?? 0
        if phase == "ready" && observed >= generation { return "ready" }
        let failing = (status["conditions"] as? [[String: Any]] ?? []).first { $0["status"] as? String == "False" }
        let reason = failing.flatMap { $0["reason"] as? String }.map { " (\($0))" } ?? ""
        return (phase == "ready" ? "progressing" : phase) + reason
    }
}
