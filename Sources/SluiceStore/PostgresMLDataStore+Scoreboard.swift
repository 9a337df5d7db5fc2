public import Foundation
public import SluiceDomain
import SluicePostgres

extension PostgresMLDataStore {
    public func scoreboard(region: String, endpoint: String, since: Date, until: Date, exact: Bool) async throws -> Scoreboard {
        try await pool.withTransaction { connection in
            try await Self.prepareAnalytics(connection)
            let live = try await connection.query("""
                SELECT id FROM deployments
                WHERE region = \(region) AND endpoint = \(endpoint) AND mode = 'live' AND deletion_requested_at IS NULL
                """)
            let liveID = try live.first?.decode("id", as: UUID.self)
            var facts: [UUID: RollupSummary] = [:]
            var classes: [UUID: [String: (Int, Int, Int)]] = [:]
            var paired: [UUID: [ScoreMetric: PairedComparison]] = [:]
            if exact {
                facts = try await Self.exactSummaries(connection, region, endpoint, since, until)
                classes = try await Self.classCounts(connection, region, endpoint, since, until)
                if let liveID { paired = try await Self.pairedAgainstLive(liveID, connection, region, endpoint, since, until) }
            } else {
                (facts, classes, paired) = try await Self.rollupScoreboard(
                    connection, region: region, endpoint: endpoint, since: since, until: until, live: liveID)
            }
            let ids = Array(facts.keys)
            let meta = try await connection.query("""
                SELECT d.id, d.name, d.mode, m.name AS model, d.model_version, m.task
                FROM deployments d JOIN models m ON m.id = d.model_id WHERE d.id = ANY(\(ids))
                ORDER BY d.mode, d.name
                """)
            var scores: [DeploymentScore] = []
            for row in meta {
                let id = try row.decode("id", as: UUID.self)
                guard let summary = facts[id], let mode = DeploymentMode(rawValue: try row.decode("mode")),
                    let task = ModelTask(rawValue: try row.decode("task"))
                else { throw PGError(code: .decoding, message: "deployment mode or model task is unknown") }
                scores.append(DeploymentScore(
                    deploymentID: id, name: try row.decode("name"), mode: mode, model: try row.decode("model"),
                    version: try row.decode("model_version"), task: task, predictions: summary.predictions,
                    outcomesMatched: summary.matched, firstPredictionAt: summary.firstAt,
                    metrics: Self.metrics(summary, task: task, classes: classes[id] ?? [:]),
                    perClass: task == .classification && !(classes[id] ?? [:]).isEmpty
                        ? (classes[id] ?? [:]).mapValues { ClassMetrics(truePositives: $0.0, predicted: $0.1, actual: $0.2) } : nil,
                    latency: summary.latency, versusLive: paired[id]?[ScoreMetric.main(for: task)]))
            }
            return Scoreboard(region: region, endpoint: endpoint, since: since, until: until, liveDeploymentID: liveID, deployments: scores)
        }
    }

    /// The metrics of a model's task from a deployment's sums.
    static func metrics(_ s: RollupSummary, task: ModelTask, classes: [String: (Int, Int, Int)]) -> [String: Double] {
        var metrics: [String: Double] = [:]
        switch task {
        case .classification:
            if s.labelN > 0 { metrics["accuracy"] = Double(s.correct) / Double(s.labelN) }
            if s.llN > 0 { metrics["log_loss"] = s.llSum / Double(s.llN) }
            if !classes.isEmpty {
                let each = classes.values.map { ClassMetrics(truePositives: $0.0, predicted: $0.1, actual: $0.2) }
                let n = Double(each.count)
                metrics["macro_precision"] = each.map(\.precision).reduce(0, +) / n
                metrics["macro_recall"] = each.map(\.recall).reduce(0, +) / n
                metrics["macro_f1"] = each.map(\.f1).reduce(0, +) / n
            }
        case .regression:
            if s.numN > 0 {
                let n = Double(s.numN)
                metrics["mae"] = s.aeSum / n
                metrics["mse"] = s.seSum / n
                metrics["rmse"] = (s.seSum / n).squareRoot()
                metrics["mean_error"] = s.eSum / n
            }
        }
        return metrics
    }

    /// Per deployment, straight from the rows: counts, exact latency
    /// percentiles, and the sums of the matched facts.
    static func exactSummaries(
        _ connection: PGConnection, _ region: String, _ endpoint: String, _ since: Date, _ until: Date
    ) async throws -> [UUID: RollupSummary] {
        let rows = try await connection.query("""
            SELECT p.deployment_id, count(*) AS predictions, min(p.at) AS first_at,
                percentile_cont(0.5) WITHIN GROUP (ORDER BY p.latency_ms) AS p50,
                percentile_cont(0.95) WITHIN GROUP (ORDER BY p.latency_ms) AS p95,
                percentile_cont(0.99) WITHIN GROUP (ORDER BY p.latency_ms) AS p99
            FROM predictions p
            WHERE p.region = \(region) AND p.endpoint = \(endpoint) AND p.at >= \(since) AND p.at < \(until)
            GROUP BY p.deployment_id
            """)
        let matched = try await matchedSums(connection, region, endpoint, since, until)
        var result: [UUID: RollupSummary] = [:]
        for row in rows {
            let id = try row.decode("deployment_id", as: UUID.self)
            var summary = matched[id] ?? RollupSummary(
                predictions: 0, firstAt: nil, matched: 0, labelN: 0, correct: 0, llN: 0, llSum: 0, numN: 0, aeSum: 0, seSum: 0, eSum: 0,
                latency: LatencySummary(p50: nil, p95: nil, p99: nil))
            summary.predictions = try row.decode("predictions")
            summary.firstAt = try row.decode("first_at")
            summary.latency = LatencySummary(p50: try row.decode("p50"), p95: try row.decode("p95"), p99: try row.decode("p99"))
            result[id] = summary
        }
        return result
    }

    /// Paired comparisons of every metric, per challenger.
    public func paired(
        region: String, endpoint: String, since: Date, until: Date, live: UUID
    ) async throws -> [UUID: [ScoreMetric: PairedComparison]] {
        try await pool.withTransaction { connection in
            try await Self.prepareAnalytics(connection)
            let rows = try await connection.query("""
                SELECT DISTINCT deployment_id FROM score_rollup WHERE region = \(region) AND endpoint = \(endpoint)
                """)
            let candidates = try rows.map { try $0.decode("deployment_id", as: UUID.self) }.filter { $0 != live }
            return try await Self.rollupPaired(connection, live: live, candidates: candidates, since: since, until: until)
        }
    }

    public func firstPrediction(region: String, endpoint: String, deployment: UUID) async throws -> Date? {
        let rows = try await pool.query("""
            SELECT min(first_at) AS first_at FROM score_rollup
            WHERE deployment_id = \(deployment) AND region = \(region) AND endpoint = \(endpoint)
            """)
        return try rows.first?.decode("first_at", as: Date?.self) ?? nil
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

    static func matchedSums(
        _ connection: PGConnection, _ region: String, _ endpoint: String, _ since: Date, _ until: Date
    ) async throws -> [UUID: RollupSummary] {
        let rows = try await connection.query("""
            WITH f AS (
                SELECT p.deployment_id, \(unsafeSQL: ScoreRollups.facts("p"))
                FROM predictions p
                JOIN outcomes o ON o.region = p.region AND o.endpoint = p.endpoint AND o.request_id = p.request_id
                WHERE p.region = \(region) AND p.endpoint = \(endpoint) AND p.at >= \(since) AND p.at < \(until))
            SELECT deployment_id, count(*) AS matched, count(correct) AS label_n, coalesce(sum(correct), 0) AS correct,
                count(ll) AS ll_n, coalesce(sum(ll), 0) AS ll_sum, count(ae) AS num_n, coalesce(sum(ae), 0) AS ae_sum,
                coalesce(sum(ae * ae), 0) AS se_sum, coalesce(sum(e), 0) AS e_sum
            FROM f GROUP BY deployment_id
            """)
        var result: [UUID: RollupSummary] = [:]
        for row in rows {
            result[try row.decode("deployment_id")] = RollupSummary(
                predictions: 0, firstAt: nil, matched: try row.decode("matched"), labelN: try row.decode("label_n"),
                correct: try row.decode("correct"), llN: try row.decode("ll_n"), llSum: try row.decode("ll_sum"),
                numN: try row.decode("num_n"), aeSum: try row.decode("ae_sum"), seSum: try row.decode("se_sum"),
                eSum: try row.decode("e_sum"), latency: LatencySummary(p50: nil, p95: nil, p99: nil))
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
