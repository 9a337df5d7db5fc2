import Foundation
import Logging
import ServiceLifecycle
import SluiceAWS
import SluiceCloud
import SluiceDomain
import SluiceHTTPClient
import SluicePostgres
import SluiceReconcile
import SluiceStore
import Synchronization

/// The reconcilers of this replica (DESIGN.md §5) over the shared queue,
/// woken by `LISTEN sluice_work`; runs only with `SLUICE_WORKERS=on`.
struct ReconcileService: Service {
    let worker: ReconcileWorker
    let listener: PGListener
    let logger: Logger

    func run() async throws {
        await withDiscardingTaskGroup { group in
            group.addTask { await forwardNotifications() }
            group.addTask {
                await cancelWhenGracefulShutdown {
                    await worker.run()
                }
            }
            group.addTask {
                // Stop listening when the worker stops.
                try? await gracefulShutdown()
                await listener.close()
            }
        }
    }

    /// Every `NOTIFY sluice_work` wakes the claim loop; a lost connection is
    /// covered by the worker's idle poll and periodic resync.
    func forwardNotifications() async {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let notifications = try await listener.listen("sluice_work")
                for await _ in notifications { await worker.wake() }
                return
            } catch {
                logger.debug("LISTEN sluice_work failed; retrying", metadata: ["reason": "\(error)"])
                try? await Task.sleep(for: .seconds(2))
            }
        }
    }
}

/// Builds the reconcilers from the configuration.
enum Reconcilers {
    /// Every reconciler this replica runs. Add new kinds here.
    static func make(configuration: SluiceConfiguration, pool: PGPool, aws: AWSServices?, logger: Logger) throws -> [any Reconciler] {
        var deploymentSettings = DeploymentReconciler.Settings()
        deploymentSettings.instanceHealthcheck = configuration.instanceHealthcheck
        deploymentSettings.steadyInterval = .seconds(configuration.reconcileInterval)
        let fleet = aws.flatMap { aws in aws.fleet(configuration.ec2) }
        if aws != nil && fleet == nil {
            logger.warning("SLUICE_EC2_AMI is not set; deployments on EC2 stay pending")
        }
        let probe = HTTPModelServerProbe(http: try CurlHTTPClient())
        let deployments = DeploymentReconciler(
            store: PostgresDeploymentWorkStore(pool: pool), fleet: fleet, verifier: aws?.verifier, probe: probe,
            snapshots: FleetSnapshots(maxAge: min(deploymentSettings.steadyInterval, .seconds(10))),
            settings: deploymentSettings, logger: logger)
        let runs = try KubeflowStartup.runReconciler(configuration: configuration, pool: pool, aws: aws, logger: logger)
        var reconcilers: [any Reconciler] = [deployments, runs]
        if let aws {
            // Datasets copy Staging → R&D on S3 (DESIGN.md §4); without AWS their versions stay pending.
            reconcilers.append(DatasetReconciler(
                store: PostgresDatasetWorkStore(pool: pool), storage: S3ObjectStorage(s3: aws.s3), logger: logger))
        }
        return reconcilers
    }

    /// This process's name in `work_items.lease_owner`.
    static func identity() -> String {
        let host = ProcessInfo.processInfo.hostName
        return "\(host)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8).lowercased())"
    }
}
