public import Foundation
public import SluiceDomain
import SluicePostgres

extension PostgresMLDataStore {
    public func scoreboard(region: String, endpoint: String, since: Date, until: Date) async throws -> Scoreboard {
        try await pool.withTransaction { connection in
            try await Self.prepareAnalytics(connection)
            let live = try await connection.query("""
                SELECT id FROM deployments
                WHERE region = \(region) AND endpoint = \(endpoint) AND mode = 'live' AND deletion_requested_at IS NULL
                """)
            let liveID = try live.first?.decode("id", as: UUID.self)
            let summaries = try await connection.query("""
                SELECT p.deployment_id, d.name, d.mode, m.name AS model, d.model_version, m.task,
                    count(*) AS predictions, min(p.at) AS first_at,
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY p.latency_ms) AS p50,
                    percentile_cont(0.95) WITHIN GROUP (ORDER BY p.latency_ms) AS p95,
                    percentile_cont(0.99) WITHIN GROUP (ORDER BY p.latency_ms) AS p99
                FROM predictions p JOIN deployments d ON d.id = p.deployment_id JOIN models m ON m.id = d.model_id
                WHERE p.region = \(region) AND p.endpoint = \(endpoint) AND p.at >= \(since) AND p.at < \(until)
                GROUP BY p.deployment_id, d.name, d.mode, m.name, d.model_version, m.task
                ORDER BY d.mode, d.name
                """)
            let matched = try await Self.matchedMetrics(connection, region, endpoint, since, until)
            let classes = try await Self.classCounts(connection, region, endpoint, since, until)
            var paired: [UUID: [ScoreMetric: PairedComparison]] = [:]
            if let liveID { paired = try await Self.pairedAgainstLive(liveID, connection, region, endpoint, since, until) }
            var scores: [DeploymentScore] = []
            for row in summaries {
                let id = try row.decode("deployment_id", as: UUID.self)
                guard let mode = DeploymentMode(rawValue: try row.decode("mode")),
                    let task = ModelTask(rawValue: try row.decode("task"))
                else { throw PGError(code: .decoding, message: "deployment mode or model task is unknown") }
                let facts = matched[id]
                var metrics: [String: Double] = [:]
                var perClass: [String: ClassMetrics]?
                switch task {
                case .classification:
                    metrics["accuracy"] = facts?.accuracy
                    metrics["log_loss"] = facts?.logLoss
                    let counts = classes[id] ?? [:]
                    if !counts.isEmpty {
                        let each = counts.mapValues { ClassMetrics(truePositives: $0.0, predicted: $0.1, actual: $0.2) }
                        perClass = each
                        let n = Double(each.count)
                        metrics["macro_precision"] = each.values.map(\.precision).reduce(0, +) / n
                        metrics["macro_recall"] = each.values.map(\.recall).reduce(0, +) / n
                        metrics["macro_f1"] = each.values.map(\.f1).reduce(0, +) / n
                    }
                case .regression:
                    metrics["mae"] = facts?.mae
                    metrics["mse"] = facts?.mse
                    metrics["rmse"] = facts?.mse.map { $0.squareRoot() }
                    metrics["mean_error"] = facts?.meanError
                }
                scores.append(DeploymentScore(
                    deploymentID: id, name: try row.decode("name"), mode: mode, model: try row.decode("model"),
                    version: try row.decode("model_version"), task: task, predictions: try row.decode("predictions"),
                    outcomesMatched: facts?.count ?? 0, firstPredictionAt: try row.decode("first_at"), metrics: metrics,
                    perClass: perClass,
                    latency: LatencySummary(p50: try row.decode("p50"), p95: try row.decode("p95"), p99: try row.decode("p99")),
                    versusLive: paired[id]?[ScoreMetric.main(for: task)]))
            }
            return Scoreboard(region: region, endpoint: endpoint, since: since, until: until, liveDeploymentID: liveID, deployments: scores)
        }
    }

    /// Paired comparisons of every metric, per challenger.
    public func paired(
        region: String, endpoint: String, since: Date, until: Date, live: UUID
    ) async throws -> [UUID: [ScoreMetric: PairedComparison]] {
        try await pool.withTransaction { connection in
            try await Self.prepareAnalytics(connection)
            return try await Self.pairedAgainstLive(live, connection, region, endpoint, since, until)
        }
    }

    public func firstPrediction(region: String, endpoint: String, deployment: UUID) async throws -> Date? {
        let rows = try await pool.query("""
            SELECT at FROM predictions WHERE region = \(region) AND endpoint = \(endpoint) AND deployment_id = \(deployment)
            ORDER BY at LIMIT 1
            """)
        return try rows.first?.decode("at", as: Date.self)
    }

    public func task(ofModel model: String) async throws -> ModelTask {
        let rows = try await pool.query("SELECT task FROM models WHERE name = \(model)")
        guard let text = try rows.first?.decode("task", as: String.self), let task = ModelTask(rawValue: text) else {
            throw DomainError.notFound("model \(model) not found")
        }
        return task
    }

    /// Scoreboard queries join whole windows of predictions and outcomes by
    /// request id. Fresh day partitions have no statistics yet, and the
    /// planner's guess of one row per partition turns the joins into nested
    /// loops that are quadratic in the window; hash joins are right for every
    /// size here, so this transaction forbids nested loops and gives the
    /// hashes and sorts the memory they need.
    static func prepareAnalytics(_ connection: PGConnection) async throws {
        try await connection.query("SET TRANSACTION READ ONLY")
        try await connection.query("SET LOCAL enable_nestloop = off")
        try await connection.query("SET LOCAL work_mem = '256MB'")
    }

    struct Matched {
        var count: Int
        var accuracy: Double?
        var logLoss: Double?
        var mae: Double?
        var mse: Double?
        var meanError: Double?
    }

    static func matchedMetrics(
        _ connection: PGConnection, _ region: String, _ endpoint: String, _ since: Date, _ until: Date
    ) async throws -> [UUID: Matched] {
        let rows = try await connection.query("""
            SELECT p.deployment_id, count(*) AS n,
                avg((p.output_label = o.actual_label)::int) AS accuracy,
                avg(-ln(greatest(coalesce((p.probabilities ->> o.actual_label)::float8, 0), 1e-15)))
                    FILTER (WHERE p.probabilities IS NOT NULL AND o.actual_label IS NOT NULL) AS log_loss,
                avg(abs(p.output_number - o.actual_number)) AS mae,
                avg((p.output_number - o.actual_number) ^ 2) AS mse,
                avg(p.output_number - o.actual_number) AS mean_error
            FROM predictions p
            JOIN outcomes o ON o.region = p.region AND o.endpoint = p.endpoint AND o.request_id = p.request_id
            WHERE p.region = \(region) AND p.endpoint = \(endpoint) AND p.at >= \(since) AND p.at < \(until)
            GROUP BY p.deployment_id
            """)
        var result: [UUID: Matched] = [:]
        for row in rows {
            result[try row.decode("deployment_id")] = Matched(
                count: try row.decode("n"), accuracy: try row.decode("accuracy"), logLoss: try row.decode("log_loss"),
                mae: try row.decode("mae"), mse: try row.decode("mse"), meanError: try row.decode("mean_error"))
        }
        return result
    }

    /// Per deployment and class: true positives, predicted, actual.
    static func classCounts(
        _ connection: PGConnection, _ region: String, _ endpoint: String, _ since: Date, _ until: Date
    ) async throws -> [UUID: [String: (Int, Int, Int)]] {
        let rows = try await connection.query("""
            WITH m AS (
                SELECT p.deployment_id, p.output_label AS predicted, o.actual_label AS actual
                FROM predictions p
                JOIN outcomes o ON o.region = p.region AND o.endpoint = p.endpoint AND o.request_id = p.request_id
                WHERE p.region = \(region) AND p.endpoint = \(endpoint) AND p.at >= \(since) AND p.at < \(until)
                  AND p.output_label IS NOT NULL AND o.actual_label IS NOT NULL)
            SELECT deployment_id, label, sum(tp) AS tp, sum(pr) AS predicted, sum(ac) AS actual FROM (
                SELECT deployment_id, predicted AS label, (predicted = actual)::int AS tp, 1 AS pr, 0 AS ac FROM m
                UNION ALL
                SELECT deployment_id, actual AS label, 0, 0, 1 FROM m) x
            GROUP BY deployment_id, label
            """)
        var result: [UUID: [String: (Int, Int, Int)]] = [:]
        for row in rows {
            let id = try row.decode("deployment_id", as: UUID.self)
            result[id, default: [:]][try row.decode("label")] = (try row.decode("tp"), try row.decode("predicted"), try row.decode("actual"))
        }
        return result
    }
}
