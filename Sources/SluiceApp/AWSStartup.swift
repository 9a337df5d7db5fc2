import Foundation
import Logging
import SluiceAWS
import SluiceCloud
import SluiceDomain
import SluiceHTTPClient

/// AWS at start: with `AWS_*` configured, the credential chain is built
/// once (so a malformed container-credentials URI stops the start, naming
/// the variable), the clients are made and the region and endpoints are
/// logged. Credentials are fetched on first use, not here: a start never
/// waits on STS or IMDS.
struct AWSServices: Sendable {
    let s3: S3Client
    let ec2: EC2Client
    let ecr: ECRClient

    /// What registering a model version uses.
    var verifier: any ArtifactVerifier { AWSArtifactVerifier(ecr: ecr, s3: s3) }
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
            throw StartFailure(description: "invalid configuration: \(error.detail)")
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
            ecr: ECRClient(configuration: aws, credentials: credentials, http: http))
    }
}
