import ArgumentParser
import Foundation
import Logging
import SluiceApp

/// The `sluice` command line.
@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "The Sluice ML control plane.",
        version: SluiceVersion.version,
        subcommands: [Serve.self, Gateway.self, Migrate.self, Version.self]
    )
}

extension SluiceCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run the control plane HTTP server.")

        @Option(help: "Listen address (overrides SLUICE_HOST).") var host: String?
        @Option(help: "Listen port, 0 for any free port (overrides SLUICE_PORT).") var port: UInt16?

        func run() async throws {
            var config: SluiceConfiguration
            do {
                config = try SluiceConfiguration.fromEnvironment()
            } catch {
                FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if let host { config.host = host }
            if let port { config.port = port }
            let level = Logger.Level(rawValue: config.logLevel) ?? .info
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
            let logger = Logger(label: "sluice")
            do {
                try await SluiceServe(configuration: config, logger: logger).run()
            } catch {
                FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Gateway: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run the inference gateway: live answers, stealth copies, every result in the ML Data Store.")

        @Option(help: "Listen address (overrides SLUICE_HOST).") var host: String?
        @Option(help: "Listen port, 0 for any free port (overrides SLUICE_GATEWAY_PORT).") var port: UInt16?

        func run() async throws {
            var config: SluiceConfiguration
            do {
                config = try SluiceConfiguration.fromEnvironment()
            } catch {
                FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
                throw ExitCode(2)
            }
            if let host { config.host = host }
            if let port { config.gatewayPort = port }
            let level = Logger.Level(rawValue: config.logLevel) ?? .info
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
            do {
                try await GatewayServe(configuration: config, logger: Logger(label: "sluice.gateway")).run()
            } catch {
                FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Migrate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Apply pending database migrations, then exit.")

        func run() async throws {
            let config: SluiceConfiguration
            do {
                config = try SluiceConfiguration.fromEnvironment()
            } catch {
                FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
                throw ExitCode(2)
            }
            let level = Logger.Level(rawValue: config.logLevel) ?? .info
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label, level: level) }
            do {
                let applied = try await SluiceMigrate(configuration: config, logger: Logger(label: "sluice")).run()
                print(applied.isEmpty ? "database is up to date" : "applied: \(applied.joined(separator: ", "))")
            } catch {
                FileHandle.standardError.write(Data("sluice: \(error)\n".utf8))
                throw ExitCode(1)
            }
        }
    }

    struct Version: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the version.")
        func run() { print(SluiceVersion.version) }
    }
}
