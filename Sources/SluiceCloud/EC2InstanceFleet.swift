public import Foundation
public import SluiceAWS
public import SluiceDomain

/// ``InstanceFleet`` on EC2: instances are found by the tag
/// `sluice:deployment`, launched with `TagSpecification` (so an instance is
/// never visible untagged) and a `ClientToken`.
public struct EC2InstanceFleet: InstanceFleet {
    /// Where and how instances boot.
    public struct Settings: Sendable, Equatable {
        /// The host image: Docker and the AWS CLI installed.
        public var imageID: String
        public var subnetID: String?
        public var securityGroupIDs: [String]
        /// Gives instances a role that may pull the image and read the artifact.
        public var instanceProfileName: String?

        /// Settings.
        public init(imageID: String, subnetID: String? = nil, securityGroupIDs: [String] = [], instanceProfileName: String? = nil) {
            self.imageID = imageID
            self.subnetID = subnetID
            self.securityGroupIDs = securityGroupIDs
            self.instanceProfileName = instanceProfileName
        }
    }

    let settings: Settings
    let client: @Sendable (String) -> EC2Client

    /// A fleet; `client` gives the EC2 client of a region.
    public init(settings: Settings, client: @escaping @Sendable (_ region: String) -> EC2Client) {
        self.settings = settings
        self.client = client
    }

    /// The tag keys Sluice puts on instances.
    public enum Tag {
        public static let deployment = "sluice:deployment"
        public static let revision = "sluice:revision"
        public static let mode = "sluice:mode"
        public static let region = "sluice:region"
    }

    public func instances(deployment: UUID, region: String) async throws -> [FleetInstance] {
        let found = try await client(region).describeInstances(filters: [
            EC2Filter("tag:\(Tag.deployment)", [deployment.uuidString.lowercased()]),
            EC2Filter("instance-state-name", Self.liveStates),
        ])
        return found.map(Self.fleetInstance)
    }

    public func allInstances(region: String) async throws -> [String: [FleetInstance]] {
        let found = try await client(region).describeInstances(
            filters: [EC2Filter("tag-key", [Tag.deployment]), EC2Filter("instance-state-name", Self.liveStates)], pageSize: 1000)
        var byDeployment: [String: [FleetInstance]] = [:]
        for instance in found {
            guard let deployment = instance.tags[Tag.deployment] else { continue }
            byDeployment[deployment, default: []].append(Self.fleetInstance(instance))
        }
        return byDeployment
    }

    /// States of instances that still count.
    static let liveStates = ["pending", "running", "stopping", "stopped"]

    public func launch(_ launch: InstanceLaunch) async throws -> [FleetInstance] {
        let request = EC2RunInstancesRequest(
            imageID: settings.imageID, instanceType: launch.instanceType, count: launch.count, clientToken: launch.clientToken,
            userData: launch.userData,
            tags: [
                "Name": launch.name, Tag.deployment: launch.deployment.uuidString.lowercased(),
                Tag.revision: String(launch.revision), Tag.mode: launch.mode.rawValue, Tag.region: launch.region,
            ],
            subnetID: settings.subnetID, securityGroupIDs: settings.securityGroupIDs,
            instanceProfileName: settings.instanceProfileName)
        do {
            return try await client(launch.region).runInstances(request).map(Self.fleetInstance)
        } catch let error as AWSError where Self.refusalCodes.contains(error.code) || error.code.hasPrefix("InvalidAMIID.")
            || error.code.hasPrefix("InvalidInstanceType.") {
            throw LaunchRefused(code: error.code, message: error.message)
        }
    }

    /// `RunInstances` errors that the same call will meet again: the
    /// request or the account must change first.
    static let refusalCodes: Set<String> = [
        "InvalidParameterValue", "InvalidParameterCombination", "UnauthorizedOperation", "Unsupported", "OptInRequired",
        "VcpuLimitExceeded", "InstanceLimitExceeded", "InvalidSubnetID.NotFound", "InvalidGroup.NotFound",
        "InvalidParameter",
    ]

    /// Terminates `ids`; ones EC2 no longer knows count as terminated. EC2
    /// refuses the whole call when one id of several is unknown ("none of
    /// the instances are terminated", TerminateInstances), so the ids are
    /// then sent again one by one.
    public func terminate(_ ids: [String], region: String) async throws {
        guard !ids.isEmpty else { return }
        let ec2 = client(region)
        do {
            try await ec2.terminateInstances(ids)
        } catch let error as AWSError where error.code == "InvalidInstanceID.NotFound" {
            guard ids.count > 1 else { return }
            for id in ids {
                do {
                    try await ec2.terminateInstances([id])
                } catch let error as AWSError where error.code == "InvalidInstanceID.NotFound" {
                    continue
                }
            }
        }
    }

    public func tagMode(_ ids: [String], mode: DeploymentMode, region: String) async throws {
        guard !ids.isEmpty else { return }
        try await client(region).createTags(resourceIDs: ids, tags: [Tag.mode: mode.rawValue])
    }

    static func fleetInstance(_ instance: EC2Instance) -> FleetInstance {
        FleetInstance(
            id: instance.id, state: instance.state, revision: instance.tags[Tag.revision].flatMap { Int($0) },
            mode: instance.tags[Tag.mode], privateAddress: instance.privateIPAddress, launchedAt: instance.launchTime)
    }
}
