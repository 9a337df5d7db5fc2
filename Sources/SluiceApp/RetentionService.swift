import Foundation
import Logging
import ServiceLifecycle
import SluiceDomain

/// Applies the ML Data Store's retention, and forgets webhook deliveries
/// older than `deliveryRetention` (30 days by default), every `interval`
/// (an hour by default) while the process runs with workers. Several
/// replicas may run it at once: dropping a partition twice is a no-op, and
/// deletes are idempotent.
struct RetentionService: Service {
    let store: any MLDataStore
    let webhooks: (any WebhookStore)?
    let logger: Logger
    var interval: Duration = .seconds(3600)
    /// How long a webhook delivery id is remembered, so that a redelivery
    /// changes nothing; one resent after that is taken as new.
    var deliveryRetention: TimeInterval = 30 * 86_400

    init(store: any MLDataStore, webhooks: (any WebhookStore)? = nil, logger: Logger) {
        self.store = store
        self.webhooks = webhooks
        self.logger = logger
    }

    /// The first run waits this long, so that migrations have run.
    var firstDelay: Duration = .seconds(60)

    func run() async throws {
        do {
            try await cancelWhenGracefulShutdown {
                try await Task.sleep(for: firstDelay)
                while true {
                    try await applyOnce(now: Date())
                    try await Task.sleep(for: interval)
                }
            }
        } catch is CancellationError {
            return
        }
    }

    /// One pass: the store's retention, then the deliveries'. A failure of
    /// either is logged and tried again on the next pass.
    func applyOnce(now: Date) async throws {
        do {
            let removed = try await store.applyRetention(now: now)
            if removed > 0 { logger.notice("retention applied", metadata: ["rows_removed": "\(removed)"]) }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning("retention failed; will retry", metadata: ["reason": "\(error)"])
        }
        guard let webhooks else { return }
        do {
            let forgotten = try await webhooks.forgetDeliveries(receivedBefore: now.addingTimeInterval(-deliveryRetention))
            if forgotten > 0 { logger.notice("webhook deliveries forgotten", metadata: ["deliveries": "\(forgotten)"]) }
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            logger.warning("forgetting old webhook deliveries failed; will retry", metadata: ["reason": "\(error)"])
        }
    }
}
