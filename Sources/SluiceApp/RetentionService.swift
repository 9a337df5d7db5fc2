import Foundation
import Logging
import ServiceLifecycle
import SluiceDomain

/// Applies the ML Data Store's retention every `interval` (an hour by
/// default) while the process runs with workers. Several replicas may run
/// it at once: dropping a partition twice is a no-op, and deletes are
/// idempotent.
struct RetentionService: Service {
    let store: any MLDataStore
    let logger: Logger
    var interval: Duration = .seconds(3600)

    /// The first run waits this long, so that migrations have run.
    var firstDelay: Duration = .seconds(60)

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await Task.sleep(for: firstDelay)
                while true {
                    do {
                        let removed = try await store.applyRetention(now: Date())
                        if removed > 0 { logger.notice("retention applied", metadata: ["rows_removed": "\(removed)"]) }
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        logger.warning("retention failed; will retry", metadata: ["reason": "\(error)"])
                    }
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            return
        }
    }
}
