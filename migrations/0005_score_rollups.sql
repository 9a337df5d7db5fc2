-- Scoreboard rollups: the sums the scoreboard needs, per deployment (and per
-- ordered pair of deployments answering the same requests) and per hour,
-- maintained in the transaction of every ingest. A scoreboard then reads a
-- few rows per hour of its window instead of joining millions of
-- predictions with their outcomes (docs/decisions.md).

CREATE TABLE score_rollup (
    deployment_id  uuid NOT NULL,
    hour           timestamptz NOT NULL,
    region         text NOT NULL,
    endpoint       text NOT NULL,
    predictions    bigint NOT NULL DEFAULT 0,
    first_at       timestamptz NULL,
    matched        bigint NOT NULL DEFAULT 0,
    label_n        bigint NOT NULL DEFAULT 0,
    correct        bigint NOT NULL DEFAULT 0,
    ll_n           bigint NOT NULL DEFAULT 0,
    ll_sum         double precision NOT NULL DEFAULT 0,
    num_n          bigint NOT NULL DEFAULT 0,
    ae_sum         double precision NOT NULL DEFAULT 0,
    se_sum         double precision NOT NULL DEFAULT 0,
    e_sum          double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (deployment_id, hour)
);
CREATE INDEX score_rollup_endpoint ON score_rollup (region, endpoint, hour);

CREATE TABLE class_rollup (
    deployment_id  uuid NOT NULL,
    hour           timestamptz NOT NULL,
    label          text NOT NULL,
    tp             bigint NOT NULL DEFAULT 0,
    predicted      bigint NOT NULL DEFAULT 0,
    actual         bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (deployment_id, hour, label)
);

-- Latency histogram: bucket b holds latencies in [1.02^b, 1.02^(b+1)) ms.
CREATE TABLE latency_rollup (
    deployment_id  uuid NOT NULL,
    hour           timestamptz NOT NULL,
    bucket         integer NOT NULL,
    n              bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (deployment_id, hour, bucket)
);

-- Ordered pairs (a, b) of deployments that answered the same request, with
-- an outcome; differences are a − b. Hour of a's prediction.
CREATE TABLE pair_rollup (
    a        uuid NOT NULL,
    b        uuid NOT NULL,
    hour     timestamptz NOT NULL,
    n        bigint NOT NULL DEFAULT 0,
    agree    bigint NOT NULL DEFAULT 0,
    acc_n    bigint NOT NULL DEFAULT 0,
    acc_a    bigint NOT NULL DEFAULT 0,
    acc_b    bigint NOT NULL DEFAULT 0,
    a_only   bigint NOT NULL DEFAULT 0,
    b_only   bigint NOT NULL DEFAULT 0,
    ll_n     bigint NOT NULL DEFAULT 0,
    ll_a     double precision NOT NULL DEFAULT 0,
    ll_b     double precision NOT NULL DEFAULT 0,
    ll_d     double precision NOT NULL DEFAULT 0,
    ll_d2    double precision NOT NULL DEFAULT 0,
    ae_n     bigint NOT NULL DEFAULT 0,
    ae_a     double precision NOT NULL DEFAULT 0,
    ae_b     double precision NOT NULL DEFAULT 0,
    ae_d     double precision NOT NULL DEFAULT 0,
    ae_d2    double precision NOT NULL DEFAULT 0,
    se_a     double precision NOT NULL DEFAULT 0,
    se_b     double precision NOT NULL DEFAULT 0,
    se_d     double precision NOT NULL DEFAULT 0,
    se_d2    double precision NOT NULL DEFAULT 0,
    PRIMARY KEY (a, b, hour)
);
CREATE INDEX pair_rollup_b ON pair_rollup (b, hour);
