import ArgumentParser
import Foundation

/// `sluice login --url URL --token TOKEN`: checks the token against the
/// server, then saves both for later commands.
struct LoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "login",
        abstract: "Save the server URL and token in ~/.config/sluice/config (mode 0600) after checking them.")

    @Option(help: "Server URL, for example http://127.0.0.1:8080.")
    var url: String

    @Option(help: "Bearer token.")
    var token: String

    func run() async throws {
        try await CLI.run {
            let config = CLIConfig(url: url, token: token)
            let client = try APIClient(config: config)
            // Any authenticated read proves URL and token; viewers may read events.
            try await client.send("GET", "/v1/events", query: [("limit", "1")])
            try client.config.save(ProcessInfo.processInfo.environment)
            Output.line("logged in to \(client.config.url); saved in \(CLIConfig.path(ProcessInfo.processInfo.environment).path)")
        }
    }
}

/// `sluice tokens list|create|delete` (admin).
struct TokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokens", abstract: "API tokens (admin).", subcommands: [List.self, Create.self, Delete.self])

    static let columns = [Column("ID", "id"), Column("NAME", "name"), Column("ROLE", "role"), Column("CREATED", "created_at")]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List tokens.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        func run() async throws {
            try await options.run { client in try await options.list(client, "/v1/tokens", page: page, TokensCommand.columns) }
        }
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token; its secret is shown this once.")
        @OptionGroup var options: ClientOptions
        @Option(help: "A name for the token.") var name: String
        @Option(help: "viewer, scientist, deployer or admin.") var role: String
        func run() async throws {
            try await options.run { client in
                try await options.show(client, "POST", "/v1/tokens", body: ["name": name, "role": role])
            }
        }
    }

    struct Delete: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The token's id.") var id: String
        func run() async throws {
            try await options.run { client in
                try await client.send("DELETE", "/v1/tokens/\(CLI.segment(id))")
                options.deleted("token", id, verb: "revoked")
            }
        }
    }
}

/// `sluice approved-funds get|put|versions CLIENT`.
struct ApprovedFundsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "approved-funds", abstract: "A client's approved fund lists (put: admin).",
        subcommands: [Get.self, Put.self, Versions.self])

    static func path(_ client: String) -> String { "/v1/clients/\(CLI.segment(client))/approved-funds" }

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show the latest (or one) version.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The client.") var client: String
        @Option(help: "A version number.") var version: Int?
        func run() async throws {
            try await options.run { api in
                try await options.show(api, "GET", ApprovedFundsCommand.path(client), query: [("version", version.map(String.init))])
            }
        }
    }

    struct Put: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Store a new version of the list (unchanged lists keep their version).")
        @OptionGroup var options: ClientOptions
        @OptionGroup var file: FileOption
        @Argument(help: "The client.") var client: String
        @Option(name: .customLong("fund-ids"), help: "Fund ids, comma separated.") var fundIDs: String?
        func run() async throws {
            try await options.run { api in
                let ids = fundIDs.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
                let body = try file.body(["fund_ids": ids])
                try await options.show(api, "PUT", ApprovedFundsCommand.path(client), body: body)
            }
        }
    }

    struct Versions: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List every version, newest first.")
        @OptionGroup var options: ClientOptions
        @OptionGroup var page: PageOptions
        @Argument(help: "The client.") var client: String
        func run() async throws {
            try await options.run { api in
                try await options.list(api, ApprovedFundsCommand.path(client) + "/versions", page: page, [
                    Column("VERSION", "version"), Column("FUNDS", "fund_ids"), Column("CREATED", "created_at"),
                ])
            }
        }
    }
}
