import Foundation
import Logging
import SluiceAWS
import SluiceCloud
import SluiceDomain
import SluiceHTTPClient
import SluiceKubeflow
import SluicePostgres
import SluiceReconcile
import SluiceStore

/// Kubeflow and webhooks at start: the run reconciler over
/// `SLUICE_KUBEFLOW_URL` / `SLUICE_KUBEFLOW_TOKEN` (runs stay `pending`
/// with a condition when unset), and the Bitbucket webhook's HMAC key.
enum KubeflowStartup {
    /// The run reconciler of this replica.
    static func runReconciler(
        configuration: SluiceConfiguration, pool: PGPool, aws: AWSServices?, logger: Logger
    ) throws -> RunReconciler {
        let verifier = aws?.verifier
        let runner = try pipelineRunner(configuration, aws: aws, logger: logger)
        // Polls start at 5 s (or the reconcile interval when shorter) and
        // double up to SLUICE_RECONCILE_INTERVAL.
        var settings = RunReconciler.Settings()
        settings.maxPoll = .seconds(configuration.reconcileInterval)
        settings.firstPoll = min(settings.firstPoll, settings.maxPoll)
        settings.blockedRecheck = min(settings.blockedRecheck, .seconds(configuration.reconcileInterval * 2))
        return RunReconciler(
            store: PostgresExperimentStore(pool: pool), runner: runner, verifier: verifier,
            publicURL: configuration.effectivePublicURL, settings: settings)
    }

    /// Kubeflow Pipelines behind ``SluiceDomain/PipelineRunner``, or `nil` without `SLUICE_KUBEFLOW_URL`.
    static func pipelineRunner(_ configuration: SluiceConfiguration, aws: AWSServices?, logger: Logger) throws -> (any PipelineRunner)? {
        guard let url = configuration.kubeflowURL else {
            logger.notice("kubeflow not configured (no SLUICE_KUBEFLOW_URL); runs stay pending")
            return nil
        }
        // The token is never logged, only whether there is one.
        let authentication: KubeflowAuthentication
        if configuration.kubeflowSigV4 {
            guard let aws else {
                throw StartFailure(
                    description: "invalid configuration: SLUICE_KUBEFLOW_AUTH: sigv4 needs AWS credentials (AWS_* variables)", exitCode: 2)
            }
            authentication = .sigV4(credentials: aws.credentials, region: aws.configuration.region)
        } else {
            authentication = configuration.kubeflowToken.map { .bearer($0) } ?? .none
        }
        logger.notice("kubeflow configured", metadata: [
            "url": "\(url)", "auth": "\(configuration.kubeflowSigV4 ? "sigv4" : "bearer")",
            "token": "\(configuration.kubeflowToken == nil ? "none" : "set")",
        ])
        let client = KubeflowClient(baseURL: url, authentication: authentication, http: try CurlHTTPClient())
        return KubeflowPipelineRunner(client: client)
    }

    /// The webhook's HMAC-SHA256 under `SLUICE_BITBUCKET_SECRET`, or `nil` (webhooks refused).
    static func bitbucketAuthenticator(_ configuration: SluiceConfiguration) -> (any MessageAuthenticator)? {
        configuration.bitbucketSecret.map { HMACAuthenticator(key: Array($0.utf8)) }
    }
}

/// ``SluiceDomain/MessageAuthenticator`` on OpenSSL's HMAC-SHA256 (`SluiceAWS`).
struct HMACAuthenticator: MessageAuthenticator, CustomStringConvertible {
    let key: [UInt8]

    func authenticationCode(for message: [UInt8]) throws -> [UInt8] {
        try HMACSHA256.authenticationCode(for: message, key: key)
    }

    /// Never the key.
    var description: String { "HMACAuthenticator(key: ****)" }
}
