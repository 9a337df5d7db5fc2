import SluicePostgres

/// The scoreboard's rollups, kept current in the transaction of every
/// ingest (`migrations/0005_score_rollups.sql`). Each statement reads only
/// the batch and the rows of the same request ids, through indexes.
enum ScoreRollups {
    /// Per-request facts of prediction `p` against outcome `o`.
    static let facts = """
        (p.output_label = o.actual_label)::int AS correct,
        CASE WHEN p.probabilities IS NOT NULL AND o.actual_label IS NOT NULL THEN
            -ln(greatest(coalesce((p.probabilities ->> o.actual_label)::float8, 0), 1e-15)) END AS ll,
        abs(p.output_number - o.actual_number) AS ae, p.output_number - o.actual_number AS e,
        p.output_label AS predicted, o.actual_label AS actual
        """

    /// Adds matched facts (`f`: deployment_id, hour, region, endpoint and
    /// the columns of ``facts``) to `score_rollup` and `class_rollup`.
    static func addMatched(_ source: String, on connection: PGConnection) async throws {
        try await connection.query("""
            WITH f AS (\(unsafeSQL: source))
            INSERT INTO score_rollup AS r (deployment_id, hour, region, endpoint, matched, label_n, correct, ll_n, ll_sum,
                num_n, ae_sum, se_sum, e_sum)
            SELECT deployment_id, hour, min(region), min(endpoint), count(*), count(correct), coalesce(sum(correct), 0),
                count(ll), coalesce(sum(ll), 0), count(ae), coalesce(sum(ae), 0), coalesce(sum(ae * ae), 0), coalesce(sum(e), 0)
            FROM f GROUP BY deployment_id, hour
            ON CONFLICT (deployment_id, hour) DO UPDATE SET matched = r.matched + EXCLUDED.matched,
                label_n = r.label_n + EXCLUDED.label_n, correct = r.correct + EXCLUDED.correct, ll_n = r.ll_n + EXCLUDED.ll_n,
                ll_sum = r.ll_sum + EXCLUDED.ll_sum, num_n = r.num_n + EXCLUDED.num_n, ae_sum = r.ae_sum + EXCLUDED.ae_sum,
                se_sum = r.se_sum + EXCLUDED.se_sum, e_sum = r.e_sum + EXCLUDED.e_sum
            """)
        try await connection.query("""
            WITH f AS (\(unsafeSQL: source)),
            labels AS (
                SELECT deployment_id, hour, predicted AS label, correct AS tp, 1 AS predicted, 0 AS actual FROM f
                WHERE predicted IS NOT NULL AND actual IS NOT NULL
                UNION ALL
                SELECT deployment_id, hour, actual, 0, 0, 1 FROM f WHERE predicted IS NOT NULL AND actual IS NOT NULL)
            INSERT INTO class_rollup AS r (deployment_id, hour, label, tp, predicted, actual)
            SELECT deployment_id, hour, label, sum(tp), sum(predicted), sum(actual) FROM labels GROUP BY deployment_id, hour, label
            ON CONFLICT (deployment_id, hour, label) DO UPDATE SET tp = r.tp + EXCLUDED.tp,
                predicted = r.predicted + EXCLUDED.predicted, actual = r.actual + EXCLUDED.actual
            """)
    }

    /// Adds ordered pairs (`pairs`: a, b, hour and the facts of each side
    /// as a_* and b_*) to `pair_rollup`.
    static func addPairs(_ source: String, on connection: PGConnection) async throws {
        try await connection.query("""
            WITH x AS (\(unsafeSQL: source))
            INSERT INTO pair_rollup AS r (a, b, hour, n, agree, acc_n, acc_a, acc_b, a_only, b_only, ll_n, ll_a, ll_b, ll_d, ll_d2,
                ae_n, ae_a, ae_b, ae_d, ae_d2, se_a, se_b, se_d, se_d2)
            SELECT a, b, hour, count(*), count(*) FILTER (WHERE agree),
                count(*) FILTER (WHERE a_correct IS NOT NULL AND b_correct IS NOT NULL),
                coalesce(sum(a_correct) FILTER (WHERE b_correct IS NOT NULL), 0),
                coalesce(sum(b_correct) FILTER (WHERE a_correct IS NOT NULL), 0),
                count(*) FILTER (WHERE a_correct = 1 AND b_correct = 0), count(*) FILTER (WHERE a_correct = 0 AND b_correct = 1),
                count(*) FILTER (WHERE a_ll IS NOT NULL AND b_ll IS NOT NULL),
                coalesce(sum(a_ll) FILTER (WHERE b_ll IS NOT NULL), 0), coalesce(sum(b_ll) FILTER (WHERE a_ll IS NOT NULL), 0),
                coalesce(sum(a_ll - b_ll), 0), coalesce(sum((a_ll - b_ll) ^ 2), 0),
                count(*) FILTER (WHERE a_ae IS NOT NULL AND b_ae IS NOT NULL),
                coalesce(sum(a_ae) FILTER (WHERE b_ae IS NOT NULL), 0), coalesce(sum(b_ae) FILTER (WHERE a_ae IS NOT NULL), 0),
                coalesce(sum(a_ae - b_ae), 0), coalesce(sum((a_ae - b_ae) ^ 2), 0),
                coalesce(sum(a_ae ^ 2) FILTER (WHERE b_ae IS NOT NULL), 0), coalesce(sum(b_ae ^ 2) FILTER (WHERE a_ae IS NOT NULL), 0),
                coalesce(sum(a_ae ^ 2 - b_ae ^ 2), 0), coalesce(sum((a_ae ^ 2 - b_ae ^ 2) ^ 2), 0)
            FROM x GROUP BY a, b, hour
            ON CONFLICT (a, b, hour) DO UPDATE SET n = r.n + EXCLUDED.n, agree = r.agree + EXCLUDED.agree,
                acc_n = r.acc_n + EXCLUDED.acc_n, acc_a = r.acc_a + EXCLUDED.acc_a, acc_b = r.acc_b + EXCLUDED.acc_b,
                a_only = r.a_only + EXCLUDED.a_only, b_only = r.b_only + EXCLUDED.b_only, ll_n = r.ll_n + EXCLUDED.ll_n,
                ll_a = r.ll_a + EXCLUDED.ll_a, ll_b = r.ll_b + EXCLUDED.ll_b, ll_d = r.ll_d + EXCLUDED.ll_d,
                ll_d2 = r.ll_d2 + EXCLUDED.ll_d2, ae_n = r.ae_n + EXCLUDED.ae_n, ae_a = r.ae_a + EXCLUDED.ae_a,
                ae_b = r.ae_b + EXCLUDED.ae_b, ae_d = r.ae_d + EXCLUDED.ae_d, ae_d2 = r.ae_d2 + EXCLUDED.ae_d2,
                se_a = r.se_a + EXCLUDED.se_a, se_b = r.se_b + EXCLUDED.se_b, se_d = r.se_d + EXCLUDED.se_d,
                se_d2 = r.se_d2 + EXCLUDED.se_d2
            """)
    }

    /// The paired columns of prediction `a` and prediction `b` against outcome `o`.
    static func pairColumns(_ a: String, _ b: String) -> String {
        """
        (\(a).output_label = \(b).output_label
            OR abs(\(a).output_number - \(b).output_number) <= 0.01 * greatest(abs(\(a).output_number), abs(\(b).output_number)))
            AS agree,
        (\(a).output_label = o.actual_label)::int AS a_correct, (\(b).output_label = o.actual_label)::int AS b_correct,
        CASE WHEN \(a).probabilities IS NOT NULL AND o.actual_label IS NOT NULL THEN
            -ln(greatest(coalesce((\(a).probabilities ->> o.actual_label)::float8, 0), 1e-15)) END AS a_ll,
        CASE WHEN \(b).probabilities IS NOT NULL AND o.actual_label IS NOT NULL THEN
            -ln(greatest(coalesce((\(b).probabilities ->> o.actual_label)::float8, 0), 1e-15)) END AS b_ll,
        abs(\(a).output_number - o.actual_number) AS a_ae, abs(\(b).output_number - o.actual_number) AS b_ae
        """
    }

    /// After the rows of `incoming_predictions` were stored: their counts,
    /// latencies, matches with outcomes already there, and pairs with
    /// predictions of the same requests by other deployments.
    static func afterPredictions(on connection: PGConnection) async throws {
        try await connection.query("""
            INSERT INTO score_rollup AS r (deployment_id, hour, region, endpoint, predictions, first_at)
            SELECT deployment_id, date_trunc('hour', at), min(region), min(endpoint), count(*), min(at)
            FROM incoming_predictions GROUP BY deployment_id, date_trunc('hour', at)
            ON CONFLICT (deployment_id, hour) DO UPDATE SET predictions = r.predictions + EXCLUDED.predictions,
                first_at = LEAST(r.first_at, EXCLUDED.first_at)
            """)
        try await connection.query("""
            INSERT INTO latency_rollup AS r (deployment_id, hour, bucket, n)
            SELECT deployment_id, date_trunc('hour', at), floor(ln(greatest(latency_ms, 0.001)) / ln(1.02))::int, count(*)
            FROM incoming_predictions GROUP BY 1, 2, 3
            ON CONFLICT (deployment_id, hour, bucket) DO UPDATE SET n = r.n + EXCLUDED.n
            """)
        try await addMatched("""
            SELECT p.deployment_id, date_trunc('hour', p.at) AS hour, p.region, p.endpoint, \(facts)
            FROM incoming_predictions p
            JOIN outcomes o ON o.region = p.region AND o.endpoint = p.endpoint AND o.request_id = p.request_id
            """, on: connection)
        // (new, other) for every other prediction of the request, and
        // (other, new) when the other is not itself new (else its own row
        // of this batch yields that pair).
        try await addPairs("""
            SELECT n.deployment_id AS a, q.deployment_id AS b, date_trunc('hour', n.at) AS hour, \(pairColumns("n", "q"))
            FROM incoming_predictions n
            JOIN predictions q ON q.region = n.region AND q.endpoint = n.endpoint AND q.request_id = n.request_id
                AND q.deployment_id <> n.deployment_id
            JOIN outcomes o ON o.region = n.region AND o.endpoint = n.endpoint AND o.request_id = n.request_id
            UNION ALL
            SELECT q.deployment_id AS a, n.deployment_id AS b, date_trunc('hour', q.at) AS hour, \(pairColumns("q", "n"))
            FROM incoming_predictions n
            JOIN predictions q ON q.region = n.region AND q.endpoint = n.endpoint AND q.request_id = n.request_id
                AND q.deployment_id <> n.deployment_id
            JOIN outcomes o ON o.region = n.region AND o.endpoint = n.endpoint AND o.request_id = n.request_id
            WHERE NOT EXISTS (SELECT 1 FROM incoming_predictions m WHERE m.deployment_id = q.deployment_id AND m.request_id = q.request_id)
            """, on: connection)
    }

    /// After the rows of `incoming_outcomes` were stored: the predictions
    /// of those requests are now matched, and every ordered pair of them.
    static func afterOutcomes(on connection: PGConnection) async throws {
        try await addMatched("""
            SELECT p.deployment_id, date_trunc('hour', p.at) AS hour, p.region, p.endpoint, \(facts)
            FROM incoming_outcomes o
            JOIN predictions p ON p.region = o.region AND p.endpoint = o.endpoint AND p.request_id = o.request_id
            """, on: connection)
        try await addPairs("""
            SELECT p.deployment_id AS a, q.deployment_id AS b, date_trunc('hour', p.at) AS hour, \(pairColumns("p", "q"))
            FROM incoming_outcomes o
            JOIN predictions p ON p.region = o.region AND p.endpoint = o.endpoint AND p.request_id = o.request_id
            JOIN predictions q ON q.region = o.region AND q.endpoint = o.endpoint AND q.request_id = o.request_id
                AND q.deployment_id <> p.deployment_id
            """, on: connection)
    }
}
