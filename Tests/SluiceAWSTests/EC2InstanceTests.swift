import Foundation
import SluiceAWS
import Testing

/// EC2 instances and tags against moto, every request's signature checked.
@Suite("EC2 against moto", .serialized)
struct EC2InstanceTests {
    static let image = "ami-12c6146b"

    @Test func runDescribeTagTerminate_roundTrip() async throws {
        let clients = try await MotoClients.make()
        let deployment = UUID().uuidString
        let launched = try await clients.ec2.runInstances(EC2RunInstancesRequest(
            imageID: Self.image, instanceType: "t3.micro", count: 2, clientToken: "token-\(deployment)",
            userData: "#!/bin/sh\necho 'model server' > /tmp/out\n",
            tags: ["sluice:deployment": deployment, "sluice:revision": "1", "Name": "a name with spaces & ümlauts"]))
        #expect(launched.count == 2)
        #expect(launched.allSatisfy { $0.id.hasPrefix("i-") && $0.instanceType == "t3.micro" })
        let attribute = try await clients.ec2.call(
            "DescribeInstanceAttribute", [("InstanceId", launched[0].id), ("Attribute", "userData")])
        let userData = try #require(attribute.child("userData")?.value("value"))
        #expect(Data(base64Encoded: userData).map { String(decoding: $0, as: UTF8.self) } == "#!/bin/sh\necho 'model server' > /tmp/out\n")

        let found = try await clients.ec2.describeInstances(filters: [
            EC2Filter("tag:sluice:deployment", [deployment]), EC2Filter("instance-state-name", ["pending", "running"]),
        ])
        #expect(Set(found.map(\.id)) == Set(launched.map(\.id)))
        #expect(found.allSatisfy { $0.tags["sluice:revision"] == "1" && $0.tags["Name"] == "a name with spaces & ümlauts" })

        try await clients.ec2.createTags(resourceIDs: launched.map(\.id), tags: ["sluice:revision": "2"])
        let retagged = try await clients.ec2.describeInstances(instanceIDs: launched.map(\.id))
        #expect(retagged.allSatisfy { $0.tags["sluice:revision"] == "2" })

        let terminated = try await clients.ec2.terminateInstances(launched.map(\.id))
        #expect(Set(terminated.map(\.id)) == Set(launched.map(\.id)))
        let after = try await clients.ec2.describeInstances(instanceIDs: launched.map(\.id))
        #expect(after.allSatisfy { $0.state == "terminated" || $0.state == "shutting-down" })
    }

    @Test func describeInstances_followsNextTokenPastOnePage() async throws {
        let clients = try await MotoClients.make()
        // moto pages by reservation (one per RunInstances call), so launch 12 calls of one.
        let group = UUID().uuidString
        for _ in 0..<12 {
            _ = try await clients.ec2.runInstances(EC2RunInstancesRequest(
                imageID: Self.image, instanceType: "t3.nano", tags: ["paging": group]))
        }
        let filter = [EC2Filter("tag:paging", [group])]
        let first = try await clients.ec2.describeInstancesPage(filters: filter, maxResults: 5)
        #expect(first.instances.count == 5)
        #expect(first.nextToken != nil)
        let all = try await clients.ec2.describeInstances(filters: filter, pageSize: 5)
        #expect(all.count == 12)
        #expect(Set(all.map(\.id)).count == 12)
    }

    @Test func unknownInstance_isATypedQueryError() async throws {
        let clients = try await MotoClients.make()
        let error = await #expect(throws: AWSError.self) {
            try await clients.ec2.terminateInstances(["i-0123456789abcdef0"])
        }
        #expect(error?.service == "ec2")
        #expect(error?.code == "InvalidInstanceID.NotFound")
        #expect(error?.status == 400)
        #expect(error?.requestID?.isEmpty == false)
    }
}
