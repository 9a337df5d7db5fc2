import ArgumentParser
import Foundation

/// `sluice endpoints ...`: routing, scoreboard, rollback and promotion policy.
struct EndpointsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "endpoints", abstract: "Endpoints: routing document, scoreboard, rollback and promotion policy.",
        subcommands: [Get.self, Scoreboard.self, Rollback.self, Policy.self])

    static func path(_ region: String, _ endpoint: String) -> String {
        "/v1/endpoints/\(CLI.segment(region))/\(CLI.segment(endpoint))"
    }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the routing document: the live and every stealth deployment.")
        @OptionGroup var options: ClientOptions
        @Argument var region: String
        @Argument var endpoint: String
        func run() async throws {
            try await options.run { client in try await options.show(client, "GET", EndpointsCommand.path(region, endpoint)) }
        }
    }

    struct Scoreboard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Compare every deployment of the endpoint on the same requests.")
        @OptionGroup var options: ClientOptions
        @Argument var region: String
        @Argument var endpoint: String
        @Option(help: "RFC 3339 start (default: 7 days ago).") var since: String?
        @Option(help: "RFC 3339 end (default: now).") var until: String?
        func run() async throws {
            try await options.run { client in
                let bytes = try await client.send(
                    "GET", EndpointsCommand.path(region, endpoint) + "/scoreboard", query: [("since", since), ("until", until)])
                if options.output == .json { return Output.raw(bytes) }
                let object = (try? JSONSerialization.jsonObject(with: Data(bytes))) as? [String: Any] ?? [:]
                let rows = (object["deployments"] as? [[String: Any]] ?? []).map { row in
                    var row = row
                    // The metrics this task has, in one cell: accuracy=0.91 f1=0.88.
                    let metrics = row["metrics"] as? [String: Any] ?? [:]
                    row["metrics_text"] = metrics.keys.sorted().compactMap { key in
                        metrics[key].flatMap { $0 is NSNull ? nil : "\(key)=\(Output.text($0))" }
                    }.joined(separator: " ")
                    return row
                }
                Output.table(rows, [
                    Column("DEPLOYMENT", "name"), Column("MODE", "mode"), Column("VERSION", "version"),
                    Column("PREDICTIONS", "predictions"), Column("OUTCOMES", "outcomes_matched"),
                    Column("P50 MS", "latency_ms.p50"), Column("P99 MS", "latency_ms.p99"), Column("METRICS", "metrics_text"),
                ])
            }
        }
    }

    struct Rollback: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Restore the previous live deployment.")
        @OptionGroup var options: ClientOptions
        @Argument var region: String
        @Argument var endpoint: String
        func run() async throws {
            try await options.run { client in
                try await options.show(client, "POST", EndpointsCommand.path(region, endpoint) + "/rollback", body: [String: Any]())
            }
        }
    }

    struct Policy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The endpoint's promotion policy.", subcommands: [Get.self, Set.self])

        struct Get: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Show the policy (defaults when none was set).")
            @OptionGroup var options: ClientOptions
            @Argument var region: String
            @Argument var endpoint: String
            func run() async throws {
                try await options.run { client in
                    try await options.show(client, "GET", EndpointsCommand.path(region, endpoint) + "/policy")
                }
            }
        }

        struct Set: AsyncParsableCommand {
            static let configuration = CommandConfiguration(abstract: "Replace the policy (admin); unset fields take their defaults.")
            @OptionGroup var options: ClientOptions
            @OptionGroup var file: FileOption
            @Argument var region: String
            @Argument var endpoint: String
            @Option var minOutcomes: Int?
            @Option(help: "90s, 15m, 72h or 7d.") var minDuration: String?
            @Option(help: "default or a scoreboard metric.") var metric: String?
            @Option var minImprovement: Double?
            @Option(help: "true or false.") var requireSignificance: Bool?
            @Option var requiredApprovals: Int?
            @Option(help: "true or false.") var autoPromote: Bool?
            @Option var retentionDays: Int?
            func run() async throws {
                try await options.run { client in
                    let body = try file.body([
                        "min_outcomes": minOutcomes, "min_duration": minDuration, "metric": metric, "min_improvement": minImprovement,
                        "require_significance": requireSignificance, "required_approvals": requiredApprovals,
                        "auto_promote": autoPromote, "retention_days": retentionDays,
                    ])
                    try await options.show(client, "PUT", EndpointsCommand.path(region, endpoint) + "/policy", body: body)
                }
            }
        }
    }
}

/// `sluice events list [--resource TYPE/ID]`: the audit trail.
struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "events", abstract: "The audit trail.", subcommands: [List.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List events, newest first.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        @Option(help: "Only events of one resource, for example dataset/trades.") var resource: String?
        func run() async throws {
            try await options.run { client in
                try await options.list(client, "/v1/events", query: [("resource", resource)], page: page, followsByDefault: false, [
                    Column("AT", "at"), Column("ACTOR", "actor"), Column("ACTION", "action"), Column("RESOURCE", "resource"),
                ])
            }
        }
    }
}
