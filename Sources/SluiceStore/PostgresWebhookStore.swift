public import Foundation
public import SluiceDomain
public import SluicePostgres

/// ``WebhookStore`` on `bitbucket_deliveries`, `bitbucket_pushes` and `runs`.
public struct PostgresWebhookStore: WebhookStore {
    public let pool: PGPool

    /// A store on `pool`.
    public init(pool: PGPool) {
        self.pool = pool
    }

    public func recordPushes(deliveryID: String, bodyDigest: String, eventKey: String, pushes: [CodePush]) async throws -> PushDelivery {
        try await pool.withTransaction { connection in
            // Either key already taken (the id, or the same signed body) is a duplicate.
            let inserted = try await connection.query("""
                INSERT INTO bitbucket_deliveries (delivery_id, event_key, body_digest) VALUES (\(deliveryID), \(eventKey), \(bodyDigest))
                ON CONFLICT DO NOTHING RETURNING delivery_id
                """)
            guard !inserted.isEmpty else { return PushDelivery(duplicate: true, runs: []) }
            var runs: [Run] = []
            for push in pushes {
                try await connection.query("""
                    INSERT INTO bitbucket_pushes (delivery_id, repository, branch, commit)
                    VALUES (\(deliveryID), \(push.repository), \(push.branch), \(push.commit))
                    """)
                let experiments = try await connection.query("""
                    SELECT id, name, dataset_id, parameters FROM experiments
                    WHERE trigger = 'push' AND lower(code_repository) = lower(\(push.repository)) AND code_branch = \(push.branch)
                    ORDER BY name FOR SHARE
                    """)
                for experiment in experiments {
                    runs.append(try await PostgresExperimentStore.insertRun(
                        on: connection, experiment: experiment, name: try experiment.decode("name"), commit: push.commit,
                        parameters: [:], trigger: .push, actor: "bitbucket-webhook"))
                }
            }
            try await EventLog.record(
                on: connection, actor: "bitbucket-webhook", action: "webhook.received", resourceType: "webhook",
                resourceID: deliveryID, detail: ["event_key": eventKey, "pushes": "\(pushes.count)", "runs": "\(runs.count)"])
            return PushDelivery(duplicate: false, runs: runs)
        }
    }

    public func forgetDeliveries(receivedBefore cutoff: Date) async throws -> Int {
        // Pushes go with their delivery (ON DELETE CASCADE).
        let rows = try await pool.query("""
            WITH gone AS (DELETE FROM bitbucket_deliveries WHERE received_at < \(cutoff) RETURNING 1)
            SELECT count(*)::bigint AS removed FROM gone
            """)
        return try rows.first?.decode("removed", as: Int.self) ?? 0
    }
}
