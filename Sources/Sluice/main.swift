import ArgumentParser
import Foundation
import Logging
import SluiceApp
import SluiceCLI

/// The `sluice` command line.
@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "The Sluice ML control plane.",
        version: SluiceVersion.version,
        subcommands: [Serve.self, Gateway.self, Migrate.self, Version.self] + SluiceCLI.commands
    )
}

extension SluiceCommand {
    /// The configuration from the environment; a bad value exits 2 with its reason.
    static func loadConfiguration() throws -> SluiceConfiguration {
        do {
            return try SluiceConfiguration.fromEnvironment()
        } catch {
            FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
            throw ExitCode(2)
        }
    }

    /// JSON logs at the configured level, then `body`; a failure exits 1 with its reason.
    static func run(_ config: SluiceConfiguration, _ body: (Logger) async throws -> Void) async throws {
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
        do {
            try await body(Logger(label: "sluice"))
        } catch {
            FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
            throw ExitCode((error as? StartFailure)?.exitCode ?? 1)
        }
    }

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the control plane HTTP server.")

        @Option(help: "Listen address (overrides SLUICE_HOST).") var host: String?
        @Option(help: "Listen port, 0 for any free port (overrides SLUICE_PORT).") var port: UInt16?

        func run() async throws {
            var config = try SluiceCommand.loadConfiguration()
            if let host { config.host = host }
            if let port { config.port = port }
            try await SluiceCommand.run(config) { [config] logger in
                try await SluiceServe(configuration: config, logger: logger).run()
            }
        }
    }

    struct Gateway: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the inference gateway: live answers, stealth copies, every result in the ML Data Store.")

        @Option(help: "Listen address (overrides SLUICE_HOST).") var host: String?
        @Option(help: "Listen port, 0 for any free port (overrides SLUICE_GATEWAY_PORT).") var port: UInt16?

        func run() async throws {
            var config = try SluiceCommand.loadConfiguration()
            if let host { config.host = host }
            if let port { config.gatewayPort = port }
            try await SluiceCommand.run(config) { [config] logger in
                try await GatewayServe(configuration: config, logger: logger).run()
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending database migrations, then exit.")

        func run() async throws {
            let config = try SluiceCommand.loadConfiguration()
            try await SluiceCommand.run(config) { [config] logger in
                let applied = try await SluiceMigrate(configuration: config, logger: logger).run()
                print(applied.isEmpty ? "database is up to date" : "applied: \(applied.joined(separator: ", "))")
            }
        }
    }

    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the version.")
        func run() { print(SluiceVersion.version) }
    }
}
