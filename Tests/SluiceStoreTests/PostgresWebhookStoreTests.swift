import Foundation
import SluiceDomain
import SluicePostgres
import SluiceStore
import SluiceTesting
import Testing

/// `PostgresWebhookStore`: deliveries remembered once, and forgotten with
/// their pushes after retention, against a real PostgreSQL.
@Suite struct PostgresWebhookStoreTests {
    @Test func forgetDeliveries_removesOldOnesWithTheirPushes_andKeepsRecentOnes() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let store = PostgresWebhookStore(pool: pool)
            let push = CodePush(repository: "acme/models", branch: "main", commit: "abc123")
            #expect(try await store.recordPushes(deliveryID: "old", bodyDigest: "body-old", eventKey: "repo:push", pushes: [push]).duplicate == false)
            #expect(try await store.recordPushes(deliveryID: "new", bodyDigest: "body-new", eventKey: "repo:push", pushes: [push]).duplicate == false)
            #expect(try await store.recordPushes(deliveryID: "old", bodyDigest: "body-old", eventKey: "repo:push", pushes: [push]).duplicate == true)
            try await pool.query("UPDATE bitbucket_deliveries SET received_at = now() - interval '40 days' WHERE delivery_id = 'old'")

            #expect(try await store.forgetDeliveries(receivedBefore: Date().addingTimeInterval(-30 * 86_400)) == 1)
            let left = try await pool.query("SELECT delivery_id FROM bitbucket_deliveries ORDER BY delivery_id")
            #expect(try left.map { try $0.decode("delivery_id", as: String.self) } == ["new"])
            let pushes = try await pool.query("SELECT delivery_id FROM bitbucket_pushes")
            #expect(try pushes.map { try $0.decode("delivery_id", as: String.self) } == ["new"])
            #expect(try await store.forgetDeliveries(receivedBefore: Date().addingTimeInterval(-30 * 86_400)) == 0)
            // Forgotten, a delivery id is new again.
            #expect(try await store.recordPushes(deliveryID: "old", bodyDigest: "body-old", eventKey: "repo:push", pushes: [push]).duplicate == false)
        }
    }

    @Test func aRepeatedBody_underANewDeliveryID_isADuplicate() async throws {
        try await PostgresTokenStoreTests.withStore { _, pool in
            let store = PostgresWebhookStore(pool: pool)
            let push = CodePush(repository: "acme/models", branch: "main", commit: "abc123")
            #expect(try await store.recordPushes(deliveryID: "a", bodyDigest: "d1", eventKey: "repo:push", pushes: [push]).duplicate == false)
            #expect(try await store.recordPushes(deliveryID: "b", bodyDigest: "d1", eventKey: "repo:push", pushes: [push]).duplicate == true)
            #expect(try await store.recordPushes(deliveryID: "c", bodyDigest: "d2", eventKey: "repo:push", pushes: [push]).duplicate == false)
            let rows = try await pool.query("SELECT count(*)::int AS n FROM bitbucket_pushes")
            #expect(try rows.first?.decode("n", as: Int.self) == 2)
        }
    }
}
