import Foundation
import SluiceAWS
import SluiceCloud
import SluiceDomain
import SluiceHTTPClient
import SluiceTesting
import Testing

/// `EC2InstanceFleet` against moto (signatures checked).
@Suite struct EC2InstanceFleetTests {
    /// EC2 refuses a whole `TerminateInstances` when one id of several is
    /// unknown (and terminates none); the fleet then terminates the others.
    @Test func terminate_withAnIdEC2NoLongerKnows_stillTerminatesTheRest() async throws {
        let moto = try await TestMoto.shared()
        let endpoint = try #require(AWSEndpoint(url: moto.endpoint))
        let configuration = AWSConfiguration(region: "eu-west-1", endpointOverrides: ["ec2": endpoint])
        let credentials = StaticCredentialProvider(AWSCredential(accessKeyID: moto.accessKeyID, secretAccessKey: moto.secretAccessKey))
        let ec2 = EC2Client(configuration: configuration, credentials: credentials, http: try CurlHTTPClient())
        let fleet = EC2InstanceFleet(settings: .init(imageID: "ami-12c6146b")) { _ in ec2 }
        let deployment = UUID()
        let launched = try await fleet.launch(InstanceLaunch(
            deployment: deployment, name: "fleet-test", region: "eu-west-1", revision: 1, mode: .live, instanceType: "t3.micro",
            count: 2, clientToken: "fleet-\(deployment)", userData: "#!/bin/sh\n"))
        #expect(launched.count == 2)
        let ids = launched.map(\.id)
        try await fleet.terminate([ids[0], "i-0123456789abcdef0", ids[1]], region: "eu-west-1")
        #expect(try await fleet.instances(deployment: deployment, region: "eu-west-1").isEmpty)
        let states = try await ec2.describeInstances(instanceIDs: ids).map(\.state)
        #expect(states.count == 2 && states.allSatisfy { $0 == "terminated" || $0 == "shutting-down" })
        // Unknown ids alone are already gone: no error.
        try await fleet.terminate(["i-0123456789abcdef0"], region: "eu-west-1")
    }
}
