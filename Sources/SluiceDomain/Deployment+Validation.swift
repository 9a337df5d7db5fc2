import Foundation

extension DeploymentSpec {
    /// The largest `replicas`.
    public static let maxReplicas = 100
    /// The most URLs of an external target.
    public static let maxURLs = 32

    /// Every rule of a new deployment at once (DESIGN.md §4). Whether the
    /// model version exists is the store's check.
    public static func validate(
        name: String?, region: String?, endpoint: String?, model: String?, version: Int?, mode: String?,
        replicas: Int?, instanceType: String?, runtime: String?, target: DeploymentTarget?
    ) throws(DomainError) -> (String, DeploymentSpec) {
        var validation = Validation()
        validation.name(name, "name")
        if let region = validation.require(region, "region") {
            validation.check(isRegion(region), "region", "must be an AWS region such as eu-west-1")
        }
        validation.name(endpoint, "endpoint")
        validation.name(model, "model")
        if let version = validation.require(version, "version") {
            validation.check(version >= 1 && version <= Int(Int32.max), "version", "must be a version number from 1")
        }
        let parsedMode = validation.require(mode, "mode").flatMap { value in
            let parsed = DeploymentMode(rawValue: value)
            validation.check(parsed != nil, "mode", "must be one of live, stealth")
            return parsed
        }
        let parsedRuntime = DeploymentRuntime(rawValue: runtime ?? DeploymentRuntime.torchserve.rawValue)
        validation.check(parsedRuntime != nil, "runtime", "must be one of torchserve, oip")
        let resolvedTarget = target ?? .ec2
        var resolvedReplicas = replicas
        switch resolvedTarget {
        case .ec2:
            resolvedReplicas = replicas ?? 1
            checkReplicas(resolvedReplicas, into: &validation)
            if let instanceType = validation.require(instanceType, "instance_type") {
                validation.check(isInstanceType(instanceType), "instance_type", "must be an EC2 instance type such as m5.large")
            }
        case .external(let urls):
            validation.check(replicas == nil, "replicas", "does not apply to external targets")
            validation.check(instanceType == nil, "instance_type", "does not apply to external targets")
            checkURLs(urls, into: &validation)
        }
        try validation.throwIfInvalid()
        guard let name, let region, let endpoint, let model, let version, let parsedMode, let parsedRuntime else {
            throw .invalid(field: "body", reason: "is incomplete")
        }
        return (name, DeploymentSpec(
            region: region, endpoint: endpoint, model: model, version: version, mode: parsedMode,
            replicas: resolvedReplicas, instanceType: resolvedTarget == .ec2 ? instanceType : nil,
            runtime: parsedRuntime, target: resolvedTarget))
    }

    static func checkReplicas(_ replicas: Int?, into validation: inout Validation) {
        if let replicas {
            validation.check((0...maxReplicas).contains(replicas), "replicas", "must be from 0 to \(maxReplicas)")
        }
    }

    static func checkURLs(_ urls: [String], into validation: inout Validation) {
        validation.check((1...maxURLs).contains(urls.count), "target.urls", "must hold 1-\(maxURLs) URLs")
        for (index, url) in urls.enumerated() {
            validation.check(isServerURL(url), "target.urls[\(index)]", "must be an http(s)://host[:port] URL without query or fragment")
        }
        validation.check(Set(urls).count == urls.count, "target.urls", "must not repeat a URL")
    }

    /// `eu-west-1`, `us-gov-west-1`, `ap-southeast-2`.
    public static func isRegion(_ text: String) -> Bool {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count >= 3, text.utf8.count <= 32, let last = parts.last, let first = parts.first else { return false }
        let lower: (Substring) -> Bool = { !$0.isEmpty && $0.utf8.allSatisfy { (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) } }
        return first.count == 2 && lower(first) && parts.dropFirst().dropLast().allSatisfy(lower)
            && (1...2).contains(last.count) && last.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
    }

    /// `m5.large`, `g5.2xlarge`, `inf2.xlarge`.
    static func isInstanceType(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let allowed: (Substring) -> Bool = { part in
            !part.isEmpty && part.count <= 24 && part.utf8.allSatisfy {
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || $0 == UInt8(ascii: "-")
            }
        }
        return parts.count == 2 && parts.allSatisfy(allowed)
    }

    /// An absolute `http` or `https` URL with a host, optional port and path,
    /// nothing else: the gateway appends the runtime's inference path.
    static func isServerURL(_ text: String) -> Bool {
        guard text.utf8.count <= 512, let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), scheme == "http" || scheme == "https",
            let host = components.host, !host.isEmpty,
            components.query == nil, components.fragment == nil, components.user == nil, components.password == nil
        else { return false }
        if let port = components.port, !(1...65535).contains(port) { return false }
        return true
    }
}

/// The fields `PATCH /v1/deployments/{id}` may change (DESIGN.md §4).
public struct DeploymentPatch: Sendable, Equatable {
    public var replicas: Int?
    public var version: Int?
    public var instanceType: String?

    /// A patch; `nil` leaves a field as it is.
    public init(replicas: Int? = nil, version: Int? = nil, instanceType: String? = nil) {
        self.replicas = replicas
        self.version = version
        self.instanceType = instanceType
    }

    /// Checks the patch against the deployment it changes.
    public func validate(for target: DeploymentTarget) throws(DomainError) {
        var validation = Validation()
        validation.check(replicas != nil || version != nil || instanceType != nil, "body",
            "must change at least one of replicas, version, instance_type")
        if let version { validation.check(version >= 1 && version <= Int(Int32.max), "version", "must be a version number from 1") }
        switch target {
        case .ec2:
            DeploymentSpec.checkReplicas(replicas, into: &validation)
            if let instanceType {
                validation.check(DeploymentSpec.isInstanceType(instanceType), "instance_type", "must be an EC2 instance type such as m5.large")
            }
        case .external:
            validation.check(replicas == nil, "replicas", "does not apply to external targets")
            validation.check(instanceType == nil, "instance_type", "does not apply to external targets")
        }
        try validation.throwIfInvalid()
    }
}
