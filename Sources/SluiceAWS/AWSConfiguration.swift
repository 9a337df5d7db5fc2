/// Region and endpoints, resolved from the environment (and the shared
/// config file's `region` / `endpoint_url`) as the AWS SDKs do:
///
/// - region: `AWS_REGION`, else `AWS_DEFAULT_REGION`, else the profile's `region`.
/// - endpoint of a service: `AWS_ENDPOINT_URL_<SERVICE>` (`_S3`, `_EC2`,
///   `_ECR`, `_STS`), else `AWS_ENDPOINT_URL`, else the profile's
///   `endpoint_url`, else AWS's regional endpoint; none of the overrides when
///   `AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true`. The service-specific one wins.
/// - S3 uses path-style addressing whenever its endpoint is overridden (an
///   emulator or a private gateway rarely has wildcard DNS), or when
///   ``forcesPathStyle`` is set.
public struct AWSConfiguration: Sendable, Equatable {
    /// The region, e.g. `eu-west-1`.
    public var region: String
    /// Overridden endpoints by service (`s3`, `ec2`, `ecr`, `sts`); absent means AWS's own.
    public var endpointOverrides: [String: AWSEndpoint]
    /// Whether S3 puts buckets in the path even on AWS's endpoint. Default `false`.
    public var forcesPathStyle: Bool

    /// Creates a configuration by hand.
    public init(region: String, endpointOverrides: [String: AWSEndpoint] = [:], forcesPathStyle: Bool = false) {
        self.region = region
        self.endpointOverrides = endpointOverrides
        self.forcesPathStyle = forcesPathStyle
    }

    /// Whether `environment` asks for AWS at all: a region, keys, a
    /// profile, an endpoint, web identity or a container endpoint. Variables
    /// that only tune a connection (`AWS_CA_BUNDLE`, ...) do not count.
    public static func isRequested(by environment: [String: String]) -> Bool {
        let names = [
            "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ]
        return environment.contains { name, value in
            !value.isEmpty && (names.contains(name) || name.hasPrefix("AWS_ENDPOINT_URL"))
        }
    }

    /// The services whose endpoint variables are read, by signing name and variable suffix.
    static let services: [(name: String, suffix: String)] = [("s3", "S3"), ("ec2", "EC2"), ("ecr", "ECR"), ("sts", "STS")]

    /// Resolves the configuration from `environment`.
    ///
    /// - Throws: ``CredentialError`` `.invalidConfiguration` naming the
    ///   variable: no region anywhere, or an endpoint that is not an `http(s)` URL.
    public init(environment: [String: String]) throws(CredentialError) {
        let profile = try? AWSProfile.load(environment: environment)
        func setting(_ name: String) -> String? {
            environment[name].flatMap { $0.isEmpty ? nil : $0 }
        }
        guard let region = setting("AWS_REGION") ?? setting("AWS_DEFAULT_REGION") ?? profile?.settings["region"] else {
            throw CredentialError(
                .invalidConfiguration, source: "configuration",
                detail: "AWS_REGION is not set (nor AWS_DEFAULT_REGION, nor region in the profile)")
        }
        var overrides: [String: AWSEndpoint] = [:]
        if setting("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")?.lowercased() != "true" {
            for service in Self.services {
                let variable = "AWS_ENDPOINT_URL_\(service.suffix)"
                let (name, text): (String, String?) =
                    if let specific = setting(variable) {
                        (variable, specific)
                    } else if let global = setting("AWS_ENDPOINT_URL") {
                        ("AWS_ENDPOINT_URL", global)
                    } else {
                        ("endpoint_url in the profile", profile?.settings["endpoint_url"])
                    }
                guard let text else { continue }
                guard let endpoint = AWSEndpoint(url: text) else {
                    throw CredentialError(
                        .invalidConfiguration, source: "configuration",
                        detail: "\(name) is not an http(s) URL with a host: \(text)")
                }
                overrides[service.name] = endpoint
            }
        }
        self.init(region: region, endpointOverrides: overrides)
    }

    /// The endpoint of `service` (`s3`, `ec2`, `ecr`, `sts`): the override, or AWS's regional one.
    public func endpoint(for service: String) -> AWSEndpoint {
        if let override = endpointOverrides[service] { return override }
        let suffix = region.hasPrefix("cn-") ? "amazonaws.com.cn" : "amazonaws.com"
        let host =
            switch service {
            case "ecr": "api.ecr.\(region).\(suffix)"
            default: "\(service).\(region).\(suffix)"
            }
        return AWSEndpoint(scheme: "https", host: host, usesPathStyle: forcesPathStyle)
    }
}
