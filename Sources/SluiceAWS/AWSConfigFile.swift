import Foundation

/// The shared config and credentials files (`~/.aws/config`,
/// `~/.aws/credentials`), parsed as the SDKs do: `[name]` sections in the
/// credentials file, `[profile name]` (or `[default]`) in the config file,
/// `key = value` lines, `#` and `;` comments, keys case-insensitive.
/// Indented lines continue a nested block (`s3 =` sub-settings) and are skipped.
package struct AWSConfigFile: Sendable {
    /// Settings by profile name, keys lower-cased.
    package var profiles: [String: [String: String]]

    /// Parses `text`; `isConfigFile` selects the `[profile name]` form.
    package init(text: String, isConfigFile: Bool) {
        var profiles: [String: [String: String]] = [:]
        var current: String?
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            let isIndented = rawLine.first == " " || rawLine.first == "\t"
            let line = rawLine.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix(";") { continue }
            if line.hasPrefix("[") {
                guard let close = line.firstIndex(of: "]") else { current = nil; continue }
                var name = line[line.index(after: line.startIndex)..<close].trimmingCharacters(in: .whitespaces)
                if isConfigFile {
                    if name.hasPrefix("profile ") || name.hasPrefix("profile\t") {
                        name = String(name.dropFirst("profile".count)).trimmingCharacters(in: .whitespaces)
                    } else if name != "default" {
                        current = nil  // [sso-session x], [services x]: not profiles
                        continue
                    }
                }
                current = name
                profiles[name, default: [:]] = profiles[name] ?? [:]
                continue
            }
            guard let current, !isIndented, let equals = line.firstIndex(of: "=") else { continue }
            let key = line[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if let comment = value.range(of: " #") ?? value.range(of: " ;") {
                value = value[..<comment.lowerBound].trimmingCharacters(in: .whitespaces)
            }
            profiles[current, default: [:]][key] = value
        }
        self.profiles = profiles
    }

    /// Reads and parses the file at `path`; `nil` when it does not exist.
    package static func load(path: String, isConfigFile: Bool) throws(CredentialError) -> AWSConfigFile? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CredentialError(.invalidConfiguration, source: "profile", detail: "cannot read \(path)")
        }
        return AWSConfigFile(text: String(decoding: data, as: UTF8.self), isConfigFile: isConfigFile)
    }

    /// The paths the SDKs read: `AWS_CONFIG_FILE` and
    /// `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/config` and `~/.aws/credentials`
    /// (`~` expanded from `HOME`).
    package static func paths(environment: [String: String]) -> (config: String, credentials: String) {
        let home = environment["HOME"] ?? NSHomeDirectory()
        func expand(_ path: String) -> String {
            path.hasPrefix("~/") ? home + path.dropFirst(1) : path
        }
        return (
            expand(environment["AWS_CONFIG_FILE"] ?? "~/.aws/config"),
            expand(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "~/.aws/credentials")
        )
    }
}

/// The settings of one named profile, the credentials file's values over the
/// config file's (the SDKs' precedence).
package struct AWSProfile: Sendable {
    /// The profile's name.
    package var name: String
    /// Settings, keys lower-cased.
    package var settings: [String: String]

    /// The profile `AWS_PROFILE` names (else `default`) from both files, or
    /// `nil` when neither file has it.
    package static func load(environment: [String: String]) throws(CredentialError) -> AWSProfile? {
        let name = environment["AWS_PROFILE"].flatMap { $0.isEmpty ? nil : $0 } ?? "default"
        let paths = AWSConfigFile.paths(environment: environment)
        let config = try AWSConfigFile.load(path: paths.config, isConfigFile: true)?.profiles[name]
        let credentials = try AWSConfigFile.load(path: paths.credentials, isConfigFile: false)?.profiles[name]
        guard config != nil || credentials != nil else { return nil }
        let merged = (config ?? [:]).merging(credentials ?? [:]) { _, fromCredentials in fromCredentials }
        return AWSProfile(name: name, settings: merged)
    }
}
