import Foundation
import Logging
import SluiceAWS
import SluiceHTTPClient

/// AWS at start: with `AWS_*` configured, the credential chain is built
/// once (so a malformed container-credentials URI stops the start, naming
/// the variable) and the region and endpoints are logged. Credentials are
/// fetched on first use, not here: a start never waits on STS or IMDS.
enum AWSStartup {
    static func check(_ configuration: SluiceConfiguration, logger: Logger) throws {
        guard let aws = configuration.aws else {
            logger.notice("aws not configured (no AWS_* variables); cloud work stays pending")
            return
        }
        let http = try CurlHTTPClient()
        do {
            _ = try CredentialProviderChain.standard(
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
    }
}
