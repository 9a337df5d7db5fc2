import SluicePostgres

/// The scoreboard's rollups (`migrations/0005_score_rollups.sql`), kept
/// current by the statement that follows a batch's insert in the same
/// transaction, under the endpoint's lock (decisions 50, 64): the rows the
/// insert stored are bound again as `n` (predictions, without their
/// probabilities) or `o` (outcomes), and every rollup is added to from
/// those rows and the rows of the same request ids already stored, through
/// indexes.
///
/// The statement sees the batch's own rows in `predictions` (its
/// transaction inserted them), so pairs with stored predictions leave out
/// the rows of `n`, whose pairs come from the batch itself; a predictions batch
/// has no outcomes of its own, and an outcomes batch reads no `outcomes`.
/// Each rollup table is written by exactly one sub-statement, which
/// aggregates first, so no row is updated twice in one statement.
///
/// Stored rows of a request are looked up once per statement, through the
/// key tables, which hold each row's `at`, and read from the one day
/// partition holding them (decision 72): see ``outcome(of:)`` and
/// ``predictions(of:as:notBy:)``.
enum ScoreRollups {
    /// Joins `o`, the stored outcome of row `r`'s request, if there is one.
    ///
    /// The key is found by its primary key; the outcome is read in a
    /// lateral subquery that `LIMIT 1` keeps from being merged into the
    /// join, so it runs once per key with `at` known, and PostgreSQL prunes
    /// `outcomes` to one partition at run time. A plain join may be planned
    /// as a hash join over every partition (the planner does not count
    /// run-time pruning), whose cost grows with all the store holds. A key
    /// has exactly one row (both are written by the same statement and
    /// leave together, by partition or by retention's delete), so `LIMIT 1`
    /// drops nothing; it also tells the planner one row comes back, where
    /// it would otherwise expect one per partition.
    static func outcome(of r: String) -> String {
        """
        JOIN outcome_keys \(r)_ok ON \(r)_ok.region = \(r).region AND \(r)_ok.endpoint = \(r).endpoint
            AND \(r)_ok.request_id = \(r).request_id
        CROSS JOIN LATERAL (
            SELECT part.actual_number, part.actual_label FROM outcomes part
            WHERE part.at = \(r)_ok.at AND part.region = \(r)_ok.region AND part.endpoint = \(r)_ok.endpoint
                AND part.request_id = \(r)_ok.request_id
            LIMIT 1) o
        """
    }

    /// Joins `p`, each stored prediction of row `r`'s request on `r`'s
    /// endpoint (by a deployment other than `other`'s, if given), the same
    /// way as ``outcome(of:)``: by key, then in its one partition.
    static func predictions(of r: String, as p: String, notBy other: String? = nil) -> String {
        let exclude = other.map { " AND \(p)_pk.deployment_id <> \($0).deployment_id" } ?? ""
        return """
            JOIN prediction_keys \(p)_pk ON \(p)_pk.request_id = \(r).request_id\(exclude)
            CROSS JOIN LATERAL (
                SELECT part.deployment_id, part.request_id, part.region, part.endpoint, part.output_number, part.output_label,
                    part.probabilities, part.at
                FROM predictions part
                WHERE part.at = \(p)_pk.at AND part.deployment_id = \(p)_pk.deployment_id AND part.request_id = \(p)_pk.request_id
                    AND part.region = \(r).region AND part.endpoint = \(r).endpoint
                LIMIT 1) \(p)
            """
    }

    /// Per-request facts of prediction `p` against the outcome's
    /// `actual_number` and `actual_label` in `o`.
    static func facts(_ p: String, outcome o: String = "o") -> String {
        """
        (\(p).output_label = \(o).actual_label)::int AS correct,
        CASE WHEN \(p).probabilities IS NOT NULL AND \(o).actual_label IS NOT NULL THEN
            -ln(greatest(coalesce((\(p).probabilities ->> \(o).actual_label)::float8, 0), 1e-15)) END AS ll,
        abs(\(p).output_number - \(o).actual_number) AS ae, \(p).output_number - \(o).actual_number AS e,
        \(p).output_label AS predicted, \(o).actual_label AS actual
        """
    }

    /// The paired columns of prediction `a` and prediction `b` against the
    /// outcome in `o`, their names after `prefix`.
    static func pairColumns(_ a: String, _ b: String, outcome o: String, prefix: String = "") -> String {
        """
        (\(a).output_label = \(b).output_label
            OR abs(\(a).output_number - \(b).output_number) <= 0.01 * greatest(abs(\(a).output_number), abs(\(b).output_number)))
            AS \(prefix)agree,
        (\(a).output_label = \(o).actual_label)::int AS \(prefix)a_correct, (\(b).output_label = \(o).actual_label)::int AS \(prefix)b_correct,
        CASE WHEN \(a).probabilities IS NOT NULL AND \(o).actual_label IS NOT NULL THEN
            -ln(greatest(coalesce((\(a).probabilities ->> \(o).actual_label)::float8, 0), 1e-15)) END AS \(prefix)a_ll,
        CASE WHEN \(b).probabilities IS NOT NULL AND \(o).actual_label IS NOT NULL THEN
            -ln(greatest(coalesce((\(b).probabilities ->> \(o).actual_label)::float8, 0), 1e-15)) END AS \(prefix)b_ll,
        abs(\(a).output_number - \(o).actual_number) AS \(prefix)a_ae, abs(\(b).output_number - \(o).actual_number) AS \(prefix)b_ae
        """
    }

    /// `score_rollup` and `class_rollup` from `matched` (deployment_id,
    /// hour, region, endpoint and the columns of ``facts``) and, for a
    /// predictions batch, the counts of the new rows `n`.
    static func scoreCTEs(counting newRows: String?) -> String {
        let counted = newRows.map { """
            SELECT deployment_id, date_trunc('hour', at) AS hour, region, endpoint, true AS counted, at AS first_at,
                NULL::int AS correct, NULL::float8 AS ll, NULL::float8 AS ae, NULL::float8 AS e FROM \($0)
            UNION ALL
            """ } ?? ""
        return """
            score AS (
                INSERT INTO score_rollup AS r (deployment_id, hour, region, endpoint, predictions, first_at, matched, label_n, correct,
                    ll_n, ll_sum, num_n, ae_sum, se_sum, e_sum)
                SELECT deployment_id, hour, min(region), min(endpoint), count(*) FILTER (WHERE counted), min(first_at),
                    count(*) FILTER (WHERE NOT counted), count(correct), coalesce(sum(correct), 0), count(ll), coalesce(sum(ll), 0),
                    count(ae), coalesce(sum(ae), 0), coalesce(sum(ae * ae), 0), coalesce(sum(e), 0)
                FROM (
                    \(counted)
                    SELECT deployment_id, hour, region, endpoint, false AS counted, NULL::timestamptz AS first_at, correct, ll, ae, e
                    FROM matched) s
                GROUP BY deployment_id, hour
                ON CONFLICT (deployment_id, hour) DO UPDATE SET predictions = r.predictions + EXCLUDED.predictions,
                    first_at = LEAST(r.first_at, EXCLUDED.first_at), matched = r.matched + EXCLUDED.matched,
                    label_n = r.label_n + EXCLUDED.label_n, correct = r.correct + EXCLUDED.correct, ll_n = r.ll_n + EXCLUDED.ll_n,
                    ll_sum = r.ll_sum + EXCLUDED.ll_sum, num_n = r.num_n + EXCLUDED.num_n, ae_sum = r.ae_sum + EXCLUDED.ae_sum,
                    se_sum = r.se_sum + EXCLUDED.se_sum, e_sum = r.e_sum + EXCLUDED.e_sum),
            classes AS (
                INSERT INTO class_rollup AS r (deployment_id, hour, label, tp, predicted, actual)
                SELECT deployment_id, hour, label, sum(tp), sum(predicted), sum(actual) FROM (
                    SELECT deployment_id, hour, predicted AS label, correct AS tp, 1 AS predicted, 0 AS actual FROM matched
                    WHERE predicted IS NOT NULL AND actual IS NOT NULL
                    UNION ALL
                    SELECT deployment_id, hour, actual, 0, 0, 1 FROM matched WHERE predicted IS NOT NULL AND actual IS NOT NULL) l
                GROUP BY deployment_id, hour, label
                ON CONFLICT (deployment_id, hour, label) DO UPDATE SET tp = r.tp + EXCLUDED.tp,
                    predicted = r.predicted + EXCLUDED.predicted, actual = r.actual + EXCLUDED.actual)
            """
    }

    /// `pair_rollup` from `x` (a, b, hour and the columns of ``pairColumns(_:_:)``).
    static let pairCTE = """
        pairs AS (
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
                se_d2 = r.se_d2 + EXCLUDED.se_d2)
        """

    /// The rollup CTEs after new predictions `n` were returned: their
    /// counts and latencies; `hit`, those whose request has a stored
    /// outcome, with it and with their probabilities; their matches, and
    /// their pairs with the other deployments' predictions of the same
    /// requests, stored before (both orders) or in this batch (each order
    /// from its own row, from `hit` joined with itself: a row of the same
    /// request and endpoint has the same outcome).
    ///
    /// `n` has no probabilities (decision 74): parsing every row's JSON a
    /// second time cost more than reading it back for the rows that have an
    /// outcome (few, when predictions arrive before their outcomes). `hit`
    /// reads them from the row the insert stored, in its one partition, in
    /// a scalar subquery of its select list, so only for rows the outcome
    /// join kept, whatever order the planner joins in.
    static let afterPredictions = """
        hit AS (
            SELECT n.*, o.actual_number, o.actual_label,
                (SELECT part.probabilities FROM predictions part
                 WHERE part.at = n.at AND part.deployment_id = n.deployment_id AND part.request_id = n.request_id
                    AND part.region = n.region AND part.endpoint = n.endpoint
                 LIMIT 1) AS probabilities
            FROM n \(outcome(of: "n"))),
        matched AS (
            SELECT h.deployment_id, date_trunc('hour', h.at) AS hour, h.region, h.endpoint, \(facts("h", outcome: "h"))
            FROM hit h),
        \(scoreCTEs(counting: "n")),
        latency AS (
            INSERT INTO latency_rollup AS r (deployment_id, hour, bucket, n)
            SELECT deployment_id, date_trunc('hour', at), floor(ln(greatest(latency_ms, 0.001)) / ln(1.02))::int, count(*)
            FROM n GROUP BY 1, 2, 3
            ON CONFLICT (deployment_id, hour, bucket) DO UPDATE SET n = r.n + EXCLUDED.n),
        old AS (
            SELECT h.deployment_id AS n_id, q.deployment_id AS q_id, date_trunc('hour', h.at) AS n_hour, date_trunc('hour', q.at) AS q_hour,
                \(pairColumns("h", "q", outcome: "h", prefix: "nq_")),
                \(pairColumns("q", "h", outcome: "h", prefix: "qn_"))
            FROM hit h \(predictions(of: "h", as: "q", notBy: "h"))
            WHERE NOT EXISTS (SELECT 1 FROM n b WHERE b.deployment_id = q.deployment_id AND b.request_id = q.request_id)),
        x AS (
            SELECT n_id AS a, q_id AS b, n_hour AS hour, nq_agree AS agree, nq_a_correct AS a_correct, nq_b_correct AS b_correct,
                nq_a_ll AS a_ll, nq_b_ll AS b_ll, nq_a_ae AS a_ae, nq_b_ae AS b_ae FROM old
            UNION ALL
            SELECT q_id, n_id, q_hour, qn_agree, qn_a_correct, qn_b_correct, qn_a_ll, qn_b_ll, qn_a_ae, qn_b_ae FROM old
            UNION ALL
            SELECT h.deployment_id, m.deployment_id, date_trunc('hour', h.at), \(pairColumns("h", "m", outcome: "h"))
            FROM hit h JOIN hit m ON m.request_id = h.request_id AND m.region = h.region AND m.endpoint = h.endpoint
                AND m.deployment_id <> h.deployment_id),
        \(pairCTE)
        """

    /// The rollup CTEs after new outcomes `o` were returned: `stored`, the
    /// stored predictions of those requests with their outcome, are now
    /// matched, and every ordered pair of them.
    static let afterOutcomes = """
        stored AS (
            SELECT p.*, o.actual_number, o.actual_label FROM o \(predictions(of: "o", as: "p"))),
        matched AS (
            SELECT s.deployment_id, date_trunc('hour', s.at) AS hour, s.region, s.endpoint, \(facts("s", outcome: "s"))
            FROM stored s),
        \(scoreCTEs(counting: nil)),
        x AS (
            SELECT s.deployment_id AS a, t.deployment_id AS b, date_trunc('hour', s.at) AS hour, \(pairColumns("s", "t", outcome: "s"))
            FROM stored s JOIN stored t ON t.request_id = s.request_id AND t.region = s.region AND t.endpoint = s.endpoint
                AND t.deployment_id <> s.deployment_id),
        \(pairCTE)
        """
}
