public import Foundation

/// An instance as `RunInstances` and `DescribeInstances` describe it.
public struct EC2Instance: Sendable, Equatable {
    /// `i-...`.
    public var id: String
    /// The AMI.
    public var imageID: String
    /// E.g. `t3.micro`.
    public var instanceType: String
    /// `pending`, `running`, `shutting-down`, `terminated`, `stopping`, `stopped`.
    public var state: String
    /// The private IPv4 address, once assigned.
    public var privateIPAddress: String?
    /// The public IPv4 address, if any.
    public var publicIPAddress: String?
    /// When it was launched.
    public var launchTime: Date?
    /// Its tags.
    public var tags: [String: String]

    init(_ item: XMLTree) {
        id = item.value("instanceId") ?? ""
        imageID = item.value("imageId") ?? ""
        instanceType = item.value("instanceType") ?? ""
        state = item.child("instanceState")?.value("name") ?? ""
        privateIPAddress = item.value("privateIpAddress").flatMap { $0.isEmpty ? nil : $0 }
        publicIPAddress = item.value("ipAddress").flatMap { $0.isEmpty ? nil : $0 }
        launchTime = item.value("launchTime").flatMap(ISO8601.parse)
        var tags: [String: String] = [:]
        for tag in item.child("tagSet")?.children("item") ?? [] {
            if let key = tag.value("key") { tags[key] = tag.value("value") ?? "" }
        }
        self.tags = tags
    }
}

/// A `DescribeInstances` filter, e.g. `EC2Filter("tag:sluice:deployment", ["d-1"])`.
public struct EC2Filter: Sendable, Equatable {
    /// The filter name (`instance-state-name`, `tag:<key>`, `tag-key`, ...).
    public var name: String
    /// Accepted values (any of them matches).
    public var values: [String]

    /// Creates a filter.
    public init(_ name: String, _ values: [String]) {
        self.name = name
        self.values = values
    }
}

/// The parameters of `RunInstances`.
public struct EC2RunInstancesRequest: Sendable {
    /// The AMI to boot.
    public var imageID: String
    /// E.g. `t3.micro`.
    public var instanceType: String
    /// How many to launch (`MinCount` = `MaxCount`). Default 1.
    public var count: Int
    /// Idempotency token: a repeated call with the same token launches nothing
    /// new (up to 64 ASCII characters). Default none.
    public var clientToken: String?
    /// User data as text; sent base64-encoded. Default none.
    public var userData: String?
    /// Tags put on the instances and their volumes at launch (`TagSpecification`). Default empty.
    public var tags: [String: String]
    /// The subnet. Default: the default VPC's.
    public var subnetID: String?
    /// Security groups by id. Default none.
    public var securityGroupIDs: [String]
    /// The instance profile's name, giving the instance its role. Default none.
    public var instanceProfileName: String?
    /// An SSH key pair. Default none.
    public var keyName: String?

    /// Creates a request.
    public init(
        imageID: String, instanceType: String, count: Int = 1, clientToken: String? = nil, userData: String? = nil,
        tags: [String: String] = [:], subnetID: String? = nil, securityGroupIDs: [String] = [],
        instanceProfileName: String? = nil, keyName: String? = nil
    ) {
        self.imageID = imageID
        self.instanceType = instanceType
        self.count = count
        self.clientToken = clientToken
        self.userData = userData
        self.tags = tags
        self.subnetID = subnetID
        self.securityGroupIDs = securityGroupIDs
        self.instanceProfileName = instanceProfileName
        self.keyName = keyName
    }

    var parameters: [(String, String)] {
        var parameters: [(String, String)] = [
            ("ImageId", imageID), ("InstanceType", instanceType), ("MinCount", String(count)), ("MaxCount", String(count)),
        ]
        if let clientToken { parameters.append(("ClientToken", clientToken)) }
        if let userData { parameters.append(("UserData", Data(userData.utf8).base64EncodedString())) }
        if let subnetID { parameters.append(("SubnetId", subnetID)) }
        parameters += EC2Client.list("SecurityGroupId", securityGroupIDs)
        if let instanceProfileName { parameters.append(("IamInstanceProfile.Name", instanceProfileName)) }
        if let keyName { parameters.append(("KeyName", keyName)) }
        if !tags.isEmpty {
            for (index, type) in ["instance", "volume"].enumerated() {
                parameters.append(("TagSpecification.\(index + 1).ResourceType", type))
                parameters += EC2Client.tags("TagSpecification.\(index + 1).Tag", tags)
            }
        }
        return parameters
    }
}
