import Foundation
import SluiceDomain
import SluicePostgres

extension PostgresMLDataStore {
    /// The scoreboard from the hourly rollups: `since` is rounded down and
    /// `until` up to whole hours; latency percentiles come from a histogram
    /// with 2% buckets (within 1% of the exact value).
    static func rollupScoreboard(
        _ connection: PGConnection, region: String, endpoint: String, since: Date, until: Date, live: UUID?
    ) async throws -> (summaries: [UUID: RollupSummary], classes: [UUID: [String: (Int, Int, Int)]], paired: [UUID: [ScoreMetric: PairedComparison]]) {
        let rows = try await connection.query("""
            SELECT deployment_id, sum(predictions) AS predictions, min(first_at) AS first_at, sum(matched) AS matched,
                sum(label_n) AS label_n, sum(correct) AS correct, sum(ll_n) AS ll_n, sum(ll_sum) AS ll_sum, sum(num_n) AS num_n,
                sum(ae_sum) AS ae_sum, sum(se_sum) AS se_sum, sum(e_sum) AS e_sum
            FROM score_rollup
            WHERE region = \(region) AND endpoint = \(endpoint)
              AND hour >= date_trunc('hour', \(since)::timestamptz) AND hour < \(until)::timestamptz
            GROUP BY deployment_id
            """)
        var summaries: [UUID: RollupSummary] = [:]
        for row in rows {
            let id = try row.decode("deployment_id", as: UUID.self)
            summaries[id] = RollupSummary(
                predictions: try row.decode("predictions"), firstAt: try row.decode("first_at"), matched: try row.decode("matched"),
                labelN: try row.decode("label_n"), correct: try row.decode("correct"), llN: try row.decode("ll_n"),
                llSum: try row.decode("ll_sum"), numN: try row.decode("num_n"), aeSum: try row.decode("ae_sum"),
                seSum: try row.decode("se_sum"), eSum: try row.decode("e_sum"), latency: LatencySummary(p50: nil, p95: nil, p99: nil))
        }
        let ids = Array(summaries.keys)
        let buckets = try await connection.query("""
            SELECT deployment_id, bucket, sum(n) AS n FROM latency_rollup
            WHERE deployment_id = ANY(\(ids)) AND hour >= date_trunc('hour', \(since)::timestamptz) AND hour < \(until)::timestamptz
            GROUP BY deployment_id, bucket ORDER BY deployment_id, bucket
            """)
        var histograms: [UUID: [(Int, Int)]] = [:]
        for row in buckets {
            histograms[try row.decode("deployment_id"), default: []].append((try row.decode("bucket"), try row.decode("n")))
        }
        for (id, histogram) in histograms { summaries[id]?.latency = Self.percentiles(histogram) }
        let classRows = try await connection.query("""
            SELECT deployment_id, label, sum(tp) AS tp, sum(predicted) AS predicted, sum(actual) AS actual FROM class_rollup
            WHERE deployment_id = ANY(\(ids)) AND hour >= date_trunc('hour', \(since)::timestamptz) AND hour < \(until)::timestamptz
            GROUP BY deployment_id, label
            """)
        var classes: [UUID: [String: (Int, Int, Int)]] = [:]
        for row in classRows {
            classes[try row.decode("deployment_id"), default: [:]][try row.decode("label")] =
                (try row.decode("tp"), try row.decode("predicted"), try row.decode("actual"))
        }
        var paired: [UUID: [ScoreMetric: PairedComparison]] = [:]
        if let live {
            paired = try await rollupPaired(connection, live: live, candidates: ids.filter { $0 != live }, since: since, until: until)
        }
        return (summaries, classes, paired)
    }

    /// Paired comparisons of `candidates` (side a) with `live` (side b) from `pair_rollup`.
    static func rollupPaired(
        _ connection: PGConnection, live: UUID, candidates: [UUID], since: Date, until: Date
    ) async throws -> [UUID: [ScoreMetric: PairedComparison]] {
        let rows = try await connection.query("""
            SELECT a, sum(n) AS n, sum(agree) AS agree, sum(acc_n) AS acc_n, sum(acc_a) AS acc_a, sum(acc_b) AS acc_b,
                sum(a_only) AS a_only, sum(b_only) AS b_only, sum(ll_n) AS ll_n, sum(ll_a) AS ll_a, sum(ll_b) AS ll_b,
                sum(ll_d) AS ll_d, sum(ll_d2) AS ll_d2, sum(ae_n) AS ae_n, sum(ae_a) AS ae_a, sum(ae_b) AS ae_b,
                sum(ae_d) AS ae_d, sum(ae_d2) AS ae_d2, sum(se_a) AS se_a, sum(se_b) AS se_b, sum(se_d) AS se_d, sum(se_d2) AS se_d2
            FROM pair_rollup
            WHERE b = \(live) AND a = ANY(\(candidates))
              AND hour >= date_trunc('hour', \(since)::timestamptz) AND hour < \(until)::timestamptz
            GROUP BY a
            """)
        var result: [UUID: [ScoreMetric: PairedComparison]] = [:]
        for row in rows {
            let total = try row.decode("n", as: Int.self)
            let agreements = try row.decode("agree", as: Int.self)
            func with(_ comparison: PairedComparison?) -> PairedComparison? {
                guard var comparison else { return nil }
                comparison.agreementRate = total == 0 ? 0 : Double(agreements) / Double(total)
                return comparison
            }
            let b = try row.decode("a_only", as: Int.self)
            let c = try row.decode("b_only", as: Int.self)
            result[try row.decode("a")] = [
                .accuracy: with(PairedComparison.compute(
                    metric: .accuracy, n: try row.decode("acc_n"), sumChallenger: try row.decode("acc_a"), sumLive: try row.decode("acc_b"),
                    sumD: Double(b - c), sumD2: Double(b + c), discordant: (b, c), agreements: 0)),
                .logLoss: with(PairedComparison.compute(
                    metric: .logLoss, n: try row.decode("ll_n"), sumChallenger: try row.decode("ll_a"), sumLive: try row.decode("ll_b"),
                    sumD: try row.decode("ll_d"), sumD2: try row.decode("ll_d2"), discordant: nil, agreements: 0)),
                .mae: with(PairedComparison.compute(
                    metric: .mae, n: try row.decode("ae_n"), sumChallenger: try row.decode("ae_a"), sumLive: try row.decode("ae_b"),
                    sumD: try row.decode("ae_d"), sumD2: try row.decode("ae_d2"), discordant: nil, agreements: 0)),
                .mse: with(PairedComparison.compute(
                    metric: .mse, n: try row.decode("ae_n"), sumChallenger: try row.decode("se_a"), sumLive: try row.decode("se_b"),
                    sumD: try row.decode("se_d"), sumD2: try row.decode("se_d2"), discordant: nil, agreements: 0)),
            ].compactMapValues { $0 }
        }
        return result
    }

    /// p50/p95/p99 from a histogram of 2% buckets: the geometric middle of
    /// the bucket where the cumulative count reaches the rank.
    static func percentiles(_ histogram: [(bucket: Int, n: Int)]) -> LatencySummary {
        let total = histogram.reduce(0) { $0 + $1.n }
        guard total > 0 else { return LatencySummary(p50: nil, p95: nil, p99: nil) }
        func value(_ p: Double) -> Double? {
            let rank = max(1, Int((p * Double(total)).rounded(.up)))
            var seen = 0
            for (bucket, n) in histogram {
                seen += n
                if seen >= rank { return pow(1.02, Double(bucket) + 0.5) }
            }
            return histogram.last.map { pow(1.02, Double($0.bucket) + 0.5) }
        }
        return LatencySummary(p50: value(0.5), p95: value(0.95), p99: value(0.99))
    }
}

/// One deployment's sums over a window of rollups.
struct RollupSummary {
    var predictions: Int
    var firstAt: Date?
    var matched: Int
    var labelN: Int
    var correct: Int
    var llN: Int
    var llSum: Double
    var numN: Int
    var aeSum: Double
    var seSum: Double
    var eSum: Double
    var latency: LatencySummary
}
