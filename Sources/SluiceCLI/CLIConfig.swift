import Foundation
import Yams

/// Where the CLI finds its server (DESIGN.md §4): `--url`/`--token` over
/// `SLUICE_URL`/`SLUICE_TOKEN` over the file `sluice login` writes,
/// `$XDG_CONFIG_HOME/sluice/config` (default `$HOME/.config/sluice/config`),
/// a YAML map `{url, token}` readable by its owner only (mode 0600).
struct CLIConfig: Codable, Equatable {
    var url: String
    var token: String

    /// The config file's path for `environment`.
    static func path(_ environment: [String: String]) -> URL {
        if let xdg = environment["XDG_CONFIG_HOME"], xdg.hasPrefix("/") {
            return URL(fileURLWithPath: xdg).appendingPathComponent("sluice/config")
        }
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        return URL(fileURLWithPath: home).appendingPathComponent(".config/sluice/config")
    }

    /// The saved config, or `nil` when there is none.
    static func load(_ environment: [String: String]) throws(CLIError) -> CLIConfig? {
        let path = path(environment)
        guard let data = FileManager.default.contents(atPath: path.path) else { return nil }
        do {
            return try YAMLDecoder().decode(CLIConfig.self, from: data)
        } catch {
            throw CLIError(CLIError.dataError, "\(path.path) is not a sluice config (url and token): run sluice login again")
        }
    }

    /// Writes the config with mode 0600 (its folders 0700), replacing any
    /// old one in one rename so no reader sees half a file.
    func save(_ environment: [String: String]) throws(CLIError) {
        let path = Self.path(environment)
        let manager = FileManager.default
        do {
            try manager.createDirectory(
                at: path.deletingLastPathComponent(), withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let text = try YAMLEncoder().encode(self)
            let temporary = path.deletingLastPathComponent().appendingPathComponent(".config.\(getpid()).tmp")
            guard manager.createFile(atPath: temporary.path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
                throw CLIError(CLIError.dataError, "cannot write \(temporary.path)")
            }
            if rename(temporary.path, path.path) != 0 {
                try? manager.removeItem(at: temporary)
                throw CLIError(CLIError.dataError, "cannot write \(path.path): \(String(cString: strerror(errno)))")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError(CLIError.dataError, "cannot write \(path.path): \(error.localizedDescription)")
        }
    }

    /// The server and token to use: flags, then environment, then the file.
    static func resolve(url: String?, token: String?, environment: [String: String]) throws(CLIError) -> CLIConfig {
        let givenURL = url ?? environment["SLUICE_URL"].flatMap { $0.isEmpty ? nil : $0 }
        let environmentToken = environment["SLUICE_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        // The file is read only when something is missing (a broken file
        // does not stop commands that name both).
        let saved = (givenURL != nil && (token ?? environmentToken) != nil) ? nil : try load(environment)
        let resolvedURL = givenURL ?? saved?.url
        // Nor does an exported token go to the server the file names: a
        // production SLUICE_TOKEN beside a saved development server.
        if givenURL == nil, token == nil, environmentToken != nil, let saved {
            throw CLIError(
                CLIError.usage,
                "SLUICE_TOKEN is set but the server comes from the saved configuration (\(saved.url)): set SLUICE_URL too, or unset SLUICE_TOKEN")
        }
        // A saved token belongs to the server it was saved for: it is never
        // sent to another one named by --url or SLUICE_URL.
        let savedToken = saved.flatMap { saved in resolvedURL.map { Self.sameServer($0, saved.url) } == true ? saved.token : nil }
        let resolvedToken = token ?? environmentToken ?? savedToken
        guard let resolvedURL else {
            throw CLIError(CLIError.usage, "no server configured: run sluice login --url URL --token TOKEN, or set SLUICE_URL and SLUICE_TOKEN")
        }
        guard let resolvedToken else {
            throw CLIError(CLIError.usage, "no token for \(resolvedURL): run sluice login --url \(resolvedURL) --token TOKEN, or set SLUICE_TOKEN")
        }
        return CLIConfig(url: resolvedURL, token: resolvedToken)
    }

    /// Whether two server URLs name the same server (a trailing `/` aside).
    static func sameServer(_ a: String, _ b: String) -> Bool {
        func trimmed(_ url: String) -> String {
            var text = url
            while text.hasSuffix("/") { text.removeLast() }
            return text.lowercased()
        }
        return trimmed(a) == trimmed(b)
    }
}
