import Foundation
import SluiceDomain
import SluicePostgres

extension PostgresMLDataStore {
    /// Sufficient statistics of per-request differences between each
    /// challenger and the live deployment on the request ids both answered
    /// and an outcome exists for, in one pass.
    static func pairedAgainstLive(
        _ live: UUID, _ connection: PGConnection, _ region: String, _ endpoint: String, _ since: Date, _ until: Date
    ) async throws -> [UUID: [ScoreMetric: PairedComparison]] {
        let rows = try await connection.query("""
            WITH pairs AS (
                SELECT c.deployment_id,
                    (c.output_label = o.actual_label)::int AS cc, (l.output_label = o.actual_label)::int AS lc,
                    CASE WHEN c.probabilities IS NOT NULL AND l.probabilities IS NOT NULL AND o.actual_label IS NOT NULL THEN
                        -ln(greatest(coalesce((c.probabilities ->> o.actual_label)::float8, 0), 1e-15)) END AS cll,
                    CASE WHEN c.probabilities IS NOT NULL AND l.probabilities IS NOT NULL AND o.actual_label IS NOT NULL THEN
                        -ln(greatest(coalesce((l.probabilities ->> o.actual_label)::float8, 0), 1e-15)) END AS lll,
                    abs(c.output_number - o.actual_number) AS cae, abs(l.output_number - o.actual_number) AS lae,
                    (c.output_label = l.output_label
                        OR abs(c.output_number - l.output_number) <= 0.01 * greatest(abs(c.output_number), abs(l.output_number)))
                        AS agree
                FROM predictions c
                JOIN predictions l ON l.deployment_id = \(live) AND l.region = c.region AND l.endpoint = c.endpoint
                    AND l.request_id = c.request_id
                JOIN outcomes o ON o.region = c.region AND o.endpoint = c.endpoint AND o.request_id = c.request_id
                WHERE c.region = \(region) AND c.endpoint = \(endpoint) AND c.at >= \(since) AND c.at < \(until)
                  AND c.deployment_id <> \(live))
            SELECT deployment_id, count(*) AS n, count(*) FILTER (WHERE agree) AS agreements,
                count(cc) FILTER (WHERE cc IS NOT NULL AND lc IS NOT NULL) AS acc_n,
                coalesce(sum(cc) FILTER (WHERE lc IS NOT NULL), 0) AS acc_c, coalesce(sum(lc) FILTER (WHERE cc IS NOT NULL), 0) AS acc_l,
                count(*) FILTER (WHERE cc = 1 AND lc = 0) AS acc_b, count(*) FILTER (WHERE cc = 0 AND lc = 1) AS acc_cc,
                count(cll) AS ll_n, coalesce(sum(cll), 0) AS ll_c, coalesce(sum(lll), 0) AS ll_l,
                coalesce(sum(cll - lll), 0) AS ll_d, coalesce(sum((cll - lll) ^ 2), 0) AS ll_d2,
                count(cae) FILTER (WHERE lae IS NOT NULL) AS ae_n,
                coalesce(sum(cae) FILTER (WHERE lae IS NOT NULL), 0) AS ae_c, coalesce(sum(lae) FILTER (WHERE cae IS NOT NULL), 0) AS ae_l,
                coalesce(sum(cae - lae), 0) AS ae_d, coalesce(sum((cae - lae) ^ 2), 0) AS ae_d2,
                coalesce(sum(cae ^ 2) FILTER (WHERE lae IS NOT NULL), 0) AS se_c, coalesce(sum(lae ^ 2) FILTER (WHERE cae IS NOT NULL), 0) AS se_l,
                coalesce(sum(cae ^ 2 - lae ^ 2), 0) AS se_d, coalesce(sum((cae ^ 2 - lae ^ 2) ^ 2), 0) AS se_d2
            FROM pairs GROUP BY deployment_id
            """)
        var result: [UUID: [ScoreMetric: PairedComparison]] = [:]
        for row in rows {
            let id = try row.decode("deployment_id", as: UUID.self)
            let agreements = try row.decode("agreements", as: Int.self)
            let total = try row.decode("n", as: Int.self)
            var metrics: [ScoreMetric: PairedComparison] = [:]
            // Agreement is over every paired request with an outcome.
            func scaled(_ comparison: PairedComparison?) -> PairedComparison? {
                guard var comparison else { return nil }
                comparison.agreementRate = total == 0 ? 0 : Double(agreements) / Double(total)
                return comparison
            }
            let b = try row.decode("acc_b", as: Int.self)
            let c = try row.decode("acc_cc", as: Int.self)
            metrics[.accuracy] = scaled(PairedComparison.compute(
                metric: .accuracy, n: try row.decode("acc_n"), sumChallenger: try row.decode("acc_c"),
                sumLive: try row.decode("acc_l"), sumD: Double(b - c), sumD2: Double(b + c), discordant: (b, c), agreements: 0))
            metrics[.logLoss] = scaled(PairedComparison.compute(
                metric: .logLoss, n: try row.decode("ll_n"), sumChallenger: try row.decode("ll_c"), sumLive: try row.decode("ll_l"),
                sumD: try row.decode("ll_d"), sumD2: try row.decode("ll_d2"), discordant: nil, agreements: 0))
            metrics[.mae] = scaled(PairedComparison.compute(
                metric: .mae, n: try row.decode("ae_n"), sumChallenger: try row.decode("ae_c"), sumLive: try row.decode("ae_l"),
                sumD: try row.decode("ae_d"), sumD2: try row.decode("ae_d2"), discordant: nil, agreements: 0))
            metrics[.mse] = scaled(PairedComparison.compute(
                metric: .mse, n: try row.decode("ae_n"), sumChallenger: try row.decode("se_c"), sumLive: try row.decode("se_l"),
                sumD: try row.decode("se_d"), sumD2: try row.decode("se_d2"), discordant: nil, agreements: 0))
            result[id] = metrics
        }
        return result
    }
}
