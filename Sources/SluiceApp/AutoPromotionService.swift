import Foundation
import Logging
import ServiceLifecycle
import SluiceDomain

/// Every `interval` (a minute), promotes the stealth deployments of
/// endpoints whose policy has `auto_promote` once every rule passes. Runs
/// with workers; replicas racing on one endpoint are serialised by the
/// endpoint's lock, and the loser finds the deployment already live.
struct AutoPromotionService: Service {
    let promoter: Promoter
    let logger: Logger
    var interval: Duration = .seconds(60)

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                while true {
                    try await Task.sleep(for: interval)
                    do {
                        let pass = try await promoter.autoPromote()
                        for id in pass.promoted {
                            logger.notice("deployment auto-promoted", metadata: ["deployment_id": "\(id.uuidString.lowercased())"])
                        }
                        for (id, error) in pass.failed {
                            logger.warning("auto-promotion check failed; will retry", metadata: [
                                "deployment_id": "\(id.uuidString.lowercased())", "reason": "\(error)",
                            ])
                        }
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        logger.warning("auto-promotion failed; will retry", metadata: ["reason": "\(error)"])
                    }
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
