import Foundation
public import SluiceAWS
public import SluiceGateway
import SluicePostgres

/// The service's configuration: environment first, flags second (flags
/// win), validated once at start. A bad value stops the process with one
/// line naming the variable (DESIGN.md §2).
public struct SluiceConfiguration: Sendable, Equatable {
    /// Listen address (`SLUICE_HOST`, default 127.0.0.1).
    public var host: String = "127.0.0.1"
    /// Listen port (`SLUICE_PORT`, default 8080; 0 picks a free port).
    public var port: UInt16 = 8080
    /// `SLUICE_DATABASE_URL`; `nil` means the embedded cluster.
    public var databaseURL: String?
    /// `SLUICE_DATABASE_POOL_SIZE`: most connections to PostgreSQL (1-1000, default 10).
    public var databasePoolSize: Int = 10
    /// `SLUICE_DATABASE_WAIT`: where request handlers' statements wait for
    /// PostgreSQL: `loop` (default; on the handler's event loop, decision
    /// 62) or `queue` (a Dispatch thread per statement, as before).
    public var databaseWaitOnLoop = true
    /// `SLUICE_ADMIN_TOKEN`; `nil` means generate one and print it once.
    public var adminToken: String?
    /// `SLUICE_BITBUCKET_SECRET`; `nil` refuses webhooks.
    public var bitbucketSecret: String?
    /// `SLUICE_KUBEFLOW_URL`.
    public var kubeflowURL: String?
    /// `SLUICE_KUBEFLOW_TOKEN`.
    public var kubeflowToken: String?
    /// `SLUICE_KUBEFLOW_AUTH`: `bearer` (the token, the default) or `sigv4`
    /// (requests signed for `execute-api` with the AWS credentials, for a
    /// Pipelines API behind API Gateway).
    public var kubeflowSigV4: Bool = false
    /// `SLUICE_PUBLIC_URL`; defaults to `http://host:port`.
    public var publicURL: String?
    /// `SLUICE_WORKERS` (`on`/`off`, default on).
    public var workers: Bool = true
    /// `SLUICE_INSTANCE_HEALTHCHECK` (`on`/`off`, default on).
    public var instanceHealthcheck: Bool = true
    /// The EC2 launch settings: `SLUICE_EC2_AMI` (the host image; deployments
    /// on EC2 stay pending without it), `SLUICE_EC2_SUBNET_ID`,
    /// `SLUICE_EC2_SECURITY_GROUP_IDS` (comma-separated), `SLUICE_EC2_INSTANCE_PROFILE`.
    public var ec2 = EC2Settings()
    /// `SLUICE_RECONCILE_INTERVAL` (seconds, 1-3600, default 30): how often a
    /// converged resource is observed again for drift.
    public var reconcileInterval: Int = 30
    /// `SLUICE_RECONCILE_LEASE` (seconds, 2-3600, default 60): how long a
    /// dead replica's work items wait before another replica takes them.
    public var reconcileLease: Int = 60
    /// `SLUICE_GATEWAY_PORT` (default 8081).
    public var gatewayPort: UInt16 = 8081
    /// The gateway's tunables from `SLUICE_GATEWAY_JOURNAL`,
    /// `SLUICE_GATEWAY_TIMEOUT_MS`, `SLUICE_GATEWAY_STEALTH_TIMEOUT_MS`,
    /// `SLUICE_GATEWAY_STEALTH_SAMPLE`, `SLUICE_GATEWAY_STEALTH_MAX_BODY`, `SLUICE_GATEWAY_MAX_ANSWER`,
    /// `SLUICE_GATEWAY_STEALTH_CONCURRENCY`, `SLUICE_GATEWAY_DURABLE_ACK`, `SLUICE_GATEWAY_PROBE_INTERVAL_MS`,
    /// `SLUICE_GATEWAY_HTTP_CLIENT` and `SLUICE_GATEWAY_RELOAD_INTERVAL_MS` (docs/operations.md).
    public var gateway = GatewayConfiguration()
    /// `SLUICE_LOG_LEVEL` (trace … critical, default info).
    public var logLevel: String = "info"
    /// Region and endpoints from the `AWS_*` variables (and the shared
    /// config file), resolved as the AWS SDKs do; `nil` when none of them asks
    /// for AWS (`AWSConfiguration.isRequested(by:)`), and then nothing in AWS
    /// is touched.
    public var aws: AWSConfiguration?

    /// The defaults.
    public init() {}

    /// A configuration problem, naming the variable.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        /// The variable or flag at fault.
        public let variable: String
        /// What is wrong with it.
        public let problem: String
        public var description: String { "invalid configuration: \(variable): \(problem)" }
    }

    /// Reads the environment. Unset variables keep their defaults.
    public static func fromEnvironment() throws(Invalid) -> SluiceConfiguration {
        try fromEnvironment(ProcessInfo.processInfo.environment)
    }

    /// Reads `env` as if it were the environment.
    public static func fromEnvironment(_ env: [String: String]) throws(Invalid) -> SluiceConfiguration {
        var config = SluiceConfiguration()
        func value(_ name: String) -> String? {
            guard let raw = env[name] else { return nil }
            return raw.isEmpty ? nil : raw
        }
        if let host = value("SLUICE_HOST") { config.host = try validHost(host, "SLUICE_HOST") }
        if let port = value("SLUICE_PORT") { config.port = try validPort(port, "SLUICE_PORT") }
        config.databaseURL = try value("SLUICE_DATABASE_URL").map { url throws(Invalid) in
            guard url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") else {
                throw Invalid(variable: "SLUICE_DATABASE_URL", problem: "must be a postgres:// URL")
            }
            // Not echoed: it may hold a password.
            guard PGConnectionConfiguration.isValidURL(url) else {
                throw Invalid(variable: "SLUICE_DATABASE_URL", problem: "is not a valid connection URL (unknown parameter or bad syntax)")
            }
            return url
        }
        if let size = value("SLUICE_DATABASE_POOL_SIZE") {
            guard let parsed = Int(size), (1...1000).contains(parsed) else {
                throw Invalid(variable: "SLUICE_DATABASE_POOL_SIZE", problem: "must be an integer from 1 to 1000")
            }
            config.databasePoolSize = parsed
        }
        switch value("SLUICE_DATABASE_WAIT") {
        case nil, "loop": config.databaseWaitOnLoop = true
        case "queue": config.databaseWaitOnLoop = false
        default: throw Invalid(variable: "SLUICE_DATABASE_WAIT", problem: "must be loop or queue")
        }
        config.adminToken = value("SLUICE_ADMIN_TOKEN")
        if let token = config.adminToken {
            // What a bearer token can be (AuthMiddleware): anything else would
            // be stored and could never sign in, locking admins out.
            guard (16...512).contains(token.utf8.count) else {
                throw Invalid(variable: "SLUICE_ADMIN_TOKEN", problem: "must be 16 to 512 characters")
            }
            guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw Invalid(variable: "SLUICE_ADMIN_TOKEN", problem: "must be printable ASCII without spaces or line breaks")
            }
        }
        try readKubeflowAndWebhooks(value, into: &config)
        if let workers = value("SLUICE_WORKERS") { config.workers = try onOff(workers, "SLUICE_WORKERS") }
        if let check = value("SLUICE_INSTANCE_HEALTHCHECK") { config.instanceHealthcheck = try onOff(check, "SLUICE_INSTANCE_HEALTHCHECK") }
        config.ec2.imageID = value("SLUICE_EC2_AMI")
        config.ec2.subnetID = value("SLUICE_EC2_SUBNET_ID")
        config.ec2.securityGroupIDs = value("SLUICE_EC2_SECURITY_GROUP_IDS").map {
            $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        } ?? []
        config.ec2.instanceProfile = value("SLUICE_EC2_INSTANCE_PROFILE")
        if let ami = config.ec2.imageID, !ami.hasPrefix("ami-") {
            throw Invalid(variable: "SLUICE_EC2_AMI", problem: "must be an AMI id such as ami-0abc1234")
        }
        if let interval = value("SLUICE_RECONCILE_INTERVAL") {
            guard let seconds = Int(interval), (1...3600).contains(seconds) else {
                throw Invalid(variable: "SLUICE_RECONCILE_INTERVAL", problem: "must be a number of seconds from 1 to 3600")
            }
            config.reconcileInterval = seconds
        }
        if let lease = value("SLUICE_RECONCILE_LEASE") {
            guard let seconds = Int(lease), (2...3600).contains(seconds) else {
                throw Invalid(variable: "SLUICE_RECONCILE_LEASE", problem: "must be a number of seconds from 2 to 3600")
            }
            config.reconcileLease = seconds
        }
        if let port = value("SLUICE_GATEWAY_PORT") { config.gatewayPort = try validPort(port, "SLUICE_GATEWAY_PORT") }
        try readGateway(value, into: &config.gateway)
        if let level = value("SLUICE_LOG_LEVEL") { config.logLevel = try validLevel(level, "SLUICE_LOG_LEVEL") }
        if AWSConfiguration.isRequested(by: env) {
            do {
                config.aws = try AWSConfiguration(environment: env)
            } catch {
                // The detail opens with the variable's name ("AWS_REGION is not set ...").
                let variable = error.detail.prefix { $0 != " " }
                throw Invalid(variable: variable.hasPrefix("AWS_") ? String(variable) : "AWS_*", problem: error.detail)
            }
        }
        if config.kubeflowSigV4 && config.kubeflowURL != nil && config.aws == nil {
            throw Invalid(variable: "SLUICE_KUBEFLOW_AUTH", problem: "sigv4 needs AWS credentials (AWS_* variables)")
        }
        return config
    }

    /// The URL Kubeflow calls back: `SLUICE_PUBLIC_URL`, else the listening
    /// address (an IPv6 literal in brackets).
    public var effectivePublicURL: String {
        publicURL ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    static func validHost(_ host: String, _ name: String) throws(Invalid) -> String {
        let isV4 = host.split(separator: ".", omittingEmptySubsequences: false).count == 4
            && host.split(separator: ".", omittingEmptySubsequences: false).allSatisfy { UInt8($0) != nil }
        let isV6 = host.contains(":") && host.allSatisfy { $0.isHexDigit || $0 == ":" || $0 == "." }
        guard isV4 || isV6 || host == "localhost" else {
            throw Invalid(variable: name, problem: "must be a numeric IPv4 or IPv6 address")
        }
        return host
    }

    static func validPort(_ text: String, _ name: String) throws(Invalid) -> UInt16 {
        guard let port = UInt16(text) else { throw Invalid(variable: name, problem: "must be a port number 0-65535") }
        return port
    }

    static func onOff(_ text: String, _ name: String) throws(Invalid) -> Bool {
        switch text.lowercased() {
        case "on", "true", "1", "yes": return true
        case "off", "false", "0", "no": return false
        default: throw Invalid(variable: name, problem: "must be on or off")
        }
    }

    /// `fsync`, `write` or `off`; `on` (the older spelling) means `fsync`,
    /// so a setting written for the older default keeps its guarantee.
    static func acknowledgement(_ text: String, _ name: String) throws(Invalid) -> JournalAcknowledgement {
        let lowered = text.lowercased()
        if lowered == "on" { return .fsync }
        guard let value = JournalAcknowledgement(rawValue: lowered) else {
            throw Invalid(variable: name, problem: "must be fsync, write or off")
        }
        return value
    }

    static func validURL(_ text: String, _ name: String) throws(Invalid) -> String {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw Invalid(variable: name, problem: "must be an http:// or https:// URL")
        }
        return text
    }

    /// `SLUICE_KUBEFLOW_URL`, `SLUICE_KUBEFLOW_TOKEN`, `SLUICE_PUBLIC_URL`
    /// and `SLUICE_BITBUCKET_SECRET`. Secrets are checked for shape only and
    /// never appear in the error.
    static func readKubeflowAndWebhooks(_ value: (String) -> String?, into config: inout SluiceConfiguration) throws(Invalid) {
        config.kubeflowURL = try value("SLUICE_KUBEFLOW_URL").map { url throws(Invalid) in try validBaseURL(url, "SLUICE_KUBEFLOW_URL") }
        config.kubeflowToken = value("SLUICE_KUBEFLOW_TOKEN")
        if let token = config.kubeflowToken {
            // It goes into an HTTP header field (RFC 9110 §5.5: visible ASCII).
            guard token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw Invalid(variable: "SLUICE_KUBEFLOW_TOKEN", problem: "must be printable ASCII without spaces")
            }
            guard config.kubeflowURL != nil else {
                throw Invalid(variable: "SLUICE_KUBEFLOW_TOKEN", problem: "is set but SLUICE_KUBEFLOW_URL is not")
            }
        }
        if let auth = value("SLUICE_KUBEFLOW_AUTH") {
            switch auth.lowercased() {
            case "bearer": config.kubeflowSigV4 = false
            case "sigv4": config.kubeflowSigV4 = true
            default: throw Invalid(variable: "SLUICE_KUBEFLOW_AUTH", problem: "must be bearer or sigv4")
            }
        }
        config.publicURL = try value("SLUICE_PUBLIC_URL").map { url throws(Invalid) in try validBaseURL(url, "SLUICE_PUBLIC_URL") }
        config.bitbucketSecret = value("SLUICE_BITBUCKET_SECRET")
        if let secret = config.bitbucketSecret, secret.trimmingCharacters(in: .whitespacesAndNewlines) != secret {
            throw Invalid(variable: "SLUICE_BITBUCKET_SECRET", problem: "must not start or end with whitespace")
        }
    }

    /// An http(s) URL that paths are appended to: no query or fragment.
    static func validBaseURL(_ text: String, _ name: String) throws(Invalid) -> String {
        let url = try validURL(text, name)
        guard !url.contains("?"), !url.contains("#") else {
            throw Invalid(variable: name, problem: "must be a base URL without a query or fragment")
        }
        return url
    }

    static func readGateway(_ value: (String) -> String?, into gateway: inout GatewayConfiguration) throws(Invalid) {
        if let path = value("SLUICE_GATEWAY_JOURNAL") { gateway.journalDirectory = URL(fileURLWithPath: path) }
        func milliseconds(_ name: String, _ range: ClosedRange<Int>) throws(Invalid) -> Duration? {
            guard let text = value(name) else { return nil }
            guard let ms = Int(text), range.contains(ms) else {
                throw Invalid(variable: name, problem: "must be whole milliseconds from \(range.lowerBound) to \(range.upperBound)")
            }
            return .milliseconds(ms)
        }
        func count(_ name: String, _ range: ClosedRange<Int>) throws(Invalid) -> Int? {
            guard let text = value(name) else { return nil }
            guard let n = Int(text), range.contains(n) else {
                throw Invalid(variable: name, problem: "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        if let t = try milliseconds("SLUICE_GATEWAY_TIMEOUT_MS", 1...600_000) { gateway.liveTimeout = t }
        if let t = try milliseconds("SLUICE_GATEWAY_STEALTH_TIMEOUT_MS", 1...600_000) { gateway.stealthTimeout = t }
        if let t = try milliseconds("SLUICE_GATEWAY_PROBE_INTERVAL_MS", 10...3_600_000) { gateway.probeInterval = t }
        if let t = try milliseconds("SLUICE_GATEWAY_RELOAD_INTERVAL_MS", 100...3_600_000) { gateway.reloadInterval = t }
        if let n = try count("SLUICE_GATEWAY_STEALTH_MAX_BODY", 0...(1 << 30)) { gateway.stealthMaxBody = n }
        if let n = try count("SLUICE_GATEWAY_MAX_ANSWER", 1...(1 << 30)) { gateway.maxAnswer = n }
        if let n = try count("SLUICE_GATEWAY_STEALTH_CONCURRENCY", 1...100_000) { gateway.stealthConcurrency = n }
        if let text = value("SLUICE_GATEWAY_DURABLE_ACK") { gateway.acknowledgement = try acknowledgement(text, "SLUICE_GATEWAY_DURABLE_ACK") }
        if let text = value("SLUICE_GATEWAY_HTTP_CLIENT") {
            guard let kind = ModelClientKind(rawValue: text.lowercased()) else {
                throw Invalid(variable: "SLUICE_GATEWAY_HTTP_CLIENT", problem: "must be builtin or libcurl")
            }
            gateway.modelClient = kind
        }
        if let text = value("SLUICE_GATEWAY_STEALTH_SAMPLE") {
            guard let rate = Double(text), rate >= 0, rate <= 1 else {
                throw Invalid(variable: "SLUICE_GATEWAY_STEALTH_SAMPLE", problem: "must be a fraction from 0 to 1")
            }
            gateway.stealthSampleRate = rate
        }
    }

    static func validLevel(_ text: String, _ name: String) throws(Invalid) -> String {
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(text.lowercased()) else {
            throw Invalid(variable: name, problem: "must be one of \(levels.joined(separator: ", "))")
        }
        return text.lowercased()
    }
}

/// Where EC2 instances boot (`SLUICE_EC2_*`).
public struct EC2Settings: Sendable, Equatable {
    public var imageID: String?
    public var subnetID: String?
    public var securityGroupIDs: [String] = []
    public var instanceProfile: String?

    /// None set.
    public init() {}
}
