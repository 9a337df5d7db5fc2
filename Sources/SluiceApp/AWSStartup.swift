import Foundation
import Logging
import SluiceAWS
import SluiceCloud
import SluiceDomain
import SluiceHTTPClient
import Synchronization

/// AWS at start: with `AWS_*` configured, the credential chain is built
/// once (so a malformed container-credentials URI stops the start, naming
/// the variable), the clients are made and the region and endpoints are
/// logged. Credentials are fetched on first use, not here: a start never
/// waits on STS or IMDS.
struct AWSServices: Sendable {
    let s3: S3Client
    let ec2: EC2Client
    let ecr: ECRClient
    let configuration: AWSConfiguration
    let credentials: any CredentialProvider
    let http: any HTTPClient
    let regional = RegionalEC2Clients()

    /// What registering a model version and deploying it use.
    var verifier: any ArtifactVerifier { AWSArtifactVerifier(ecr: ecr, s3: s3) }

    /// The EC2 fleet, once `SLUICE_EC2_AMI` names the host image.
    func fleet(_ settings: EC2Settings) -> EC2InstanceFleet? {
        guard let imageID = settings.imageID else { return nil }
        let fleetSettings = EC2InstanceFleet.Settings(
            imageID: imageID, subnetID: settings.subnetID, securityGroupIDs: settings.securityGroupIDs,
            instanceProfileName: settings.instanceProfile)
        return EC2InstanceFleet(settings: fleetSettings) { region in ec2Client(region: region) }
    }

    /// EC2 in `region` (deployments name their region); one client per region.
    func ec2Client(region: String) -> EC2Client {
        if region == configuration.region { return ec2 }
        return regional.client(region) {
            var regionConfiguration = configuration
            regionConfiguration.region = region
            return EC2Client(configuration: regionConfiguration, credentials: credentials, http: http)
        }
    }
}

/// EC2 clients of other regions than the default, made on first use.
final class RegionalEC2Clients: Sendable {
    private let clients = Mutex<[String: EC2Client]>([:])

    func client(_ region: String, make: () -> EC2Client) -> EC2Client {
        clients.withLock { clients in
            if let client = clients[region] { return client }
            let client = make()
            clients[region] = client
            return client
        }
    }
}

enum AWSStartup {
    static func make(_ configuration: SluiceConfiguration, logger: Logger) throws -> AWSServices? {
        guard let aws = configuration.aws else {
            logger.notice("aws not configured (no AWS_* variables); cloud work stays pending")
            return nil
        }
        let http = try CurlHTTPClient()
        let credentials: any CredentialProvider
        do {
            credentials = try CredentialProviderChain.standard(
                environment: ProcessInfo.processInfo.environment, configuration: aws, http: http)
        } catch {
            throw StartFailure(description: "invalid configuration: \(error.detail)", exitCode: 2)
        }
        logger.notice(
            "aws configured",
            metadata: [
                "region": "\(aws.region)", "s3": "\(aws.endpoint(for: "s3").baseURL)",
                "ec2": "\(aws.endpoint(for: "ec2").baseURL)", "ecr": "\(aws.endpoint(for: "ecr").baseURL)",
            ])
        return AWSServices(
            s3: S3Client(configuration: aws, credentials: credentials, http: http),
            ec2: EC2Client(configuration: aws, credentials: credentials, http: http),
            ecr: ECRClient(configuration: aws, credentials: credentials, http: http),
            configuration: aws, credentials: credentials, http: http)
    }
}
