import Foundation
import Logging
@testable import SluiceApp
import SluiceDomain
import Synchronization
import Testing

/// Each pass of `RetentionService` applies the ML Data Store's retention and
/// forgets webhook deliveries older than 30 days, even when the first fails.
@Suite struct RetentionServiceTests {
    final class Deliveries: WebhookStore {
        let cutoffs = Mutex<[Date]>([])

        func recordPushes(deliveryID: String, bodyDigest: String, eventKey: String, pushes: [CodePush]) async throws -> PushDelivery {
            PushDelivery(duplicate: false, runs: [])
        }

        func forgetDeliveries(receivedBefore cutoff: Date) async throws -> Int {
            cutoffs.withLock { $0.append(cutoff) }
            return 1
        }
    }

    /// An ML Data Store whose retention fails.
    final class FailingRetention: MLDataStore {
        struct Failure: Error {}
        func ingest(predictions: [Prediction]) async throws -> IngestResult { throw Failure() }
        func ingest(outcomes: [Outcome]) async throws -> IngestResult { throw Failure() }
        func scoreboard(region: String, endpoint: String, since: Date, until: Date, exact: Bool) async throws -> Scoreboard { throw Failure() }
        func paired(region: String, endpoint: String, since: Date, until: Date, live: UUID) async throws
            -> [UUID: [ScoreMetric: PairedComparison]] { throw Failure() }
        func firstPrediction(region: String, endpoint: String, deployment: UUID) async throws -> Date? { throw Failure() }
        func task(ofModel model: String) async throws -> ModelTask { throw Failure() }
        func applyRetention(now: Date) async throws -> Int { throw Failure() }
    }

    @Test func eachPass_forgetsDeliveriesOlderThan30Days_evenWhenTheStoresRetentionFails() async throws {
        let deliveries = Deliveries()
        let service = RetentionService(store: FailingRetention(), webhooks: deliveries, logger: Logger(label: "test"))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        try await service.applyOnce(now: now)
        #expect(deliveries.cutoffs.withLock { $0 } == [now.addingTimeInterval(-30 * 86_400)])
    }
}
