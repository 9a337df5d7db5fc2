-- The ML Data Store (DESIGN.md §4): every model's output per production
-- request, the outcomes that arrive later, and what scoring and promotion
-- need. Predictions and outcomes are partitioned by day of `at`, so old data
-- leaves by dropping partitions.
--
-- Uniqueness across partitions: PostgreSQL can only enforce a unique key on
-- a partitioned table when the key includes the partition column, and
-- `(deployment_id, request_id)` must be unique whatever `at` a re-sent row
-- carries. So each fact table has a narrow key table beside it; an ingest
-- inserts the keys first (ON CONFLICT DO NOTHING) and only the rows whose
-- keys were new.

CREATE TABLE prediction_keys (
    deployment_id  uuid NOT NULL,
    request_id     text NOT NULL,
    at             timestamptz NOT NULL,
    PRIMARY KEY (deployment_id, request_id)
);
CREATE INDEX prediction_keys_at ON prediction_keys (at);

CREATE TABLE predictions (
    deployment_id  uuid NOT NULL,
    request_id     text NOT NULL,
    region         text NOT NULL,
    endpoint       text NOT NULL,
    output_number  double precision NULL,
    output_label   text NULL,
    probabilities  jsonb NULL,
    latency_ms     double precision NOT NULL CHECK (latency_ms >= 0),
    at             timestamptz NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (output_number IS NOT NULL OR output_label IS NOT NULL)
) PARTITION BY RANGE (at);
-- Scoreboard: one endpoint, one window, joined to outcomes by request id.
CREATE INDEX predictions_endpoint_at ON predictions (region, endpoint, at);
CREATE INDEX predictions_request ON predictions (region, endpoint, request_id);

CREATE TABLE outcome_keys (
    region      text NOT NULL,
    endpoint    text NOT NULL,
    request_id  text NOT NULL,
    at          timestamptz NOT NULL,
    PRIMARY KEY (region, endpoint, request_id)
);
CREATE INDEX outcome_keys_at ON outcome_keys (at);

CREATE TABLE outcomes (
    region         text NOT NULL,
    endpoint       text NOT NULL,
    request_id     text NOT NULL,
    actual_number  double precision NULL,
    actual_label   text NULL,
    at             timestamptz NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (actual_number IS NOT NULL OR actual_label IS NOT NULL)
) PARTITION BY RANGE (at);
CREATE INDEX outcomes_request ON outcomes (region, endpoint, request_id);

-- Creates the day partition of `parent` holding `day`, once, whoever races.
CREATE FUNCTION sluice_ensure_day_partition(parent text, day date) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    name text := parent || '_' || to_char(day, 'YYYYMMDD');
BEGIN
    IF parent NOT IN ('predictions', 'outcomes') THEN
        RAISE EXCEPTION 'not a partitioned store table: %', parent;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('sluice_partitions'), hashtext(name));
    IF to_regclass(name) IS NULL THEN
        EXECUTE format('CREATE TABLE %I PARTITION OF %I FOR VALUES FROM (%L) TO (%L)',
            name, parent, day::timestamp AT TIME ZONE 'UTC', (day + 1)::timestamp AT TIME ZONE 'UTC');
    END IF;
END $$;

-- Per endpoint: how long its predictions and outcomes are kept, and the
-- rules a stealth deployment must pass to be promoted.
CREATE TABLE endpoint_policies (
    region                text NOT NULL,
    endpoint              resource_name NOT NULL,
    min_outcomes          integer NOT NULL DEFAULT 1000 CHECK (min_outcomes >= 0),
    min_duration_seconds  bigint NOT NULL DEFAULT 604800 CHECK (min_duration_seconds >= 0),
    metric                text NOT NULL DEFAULT 'default',
    min_improvement       double precision NOT NULL DEFAULT 0,
    require_significance  boolean NOT NULL DEFAULT true,
    required_approvals    integer NOT NULL DEFAULT 1 CHECK (required_approvals BETWEEN 0 AND 10),
    auto_promote          boolean NOT NULL DEFAULT false,
    retention_days        integer NOT NULL DEFAULT 400 CHECK (retention_days BETWEEN 1 AND 3660),
    resource_version      bigint NOT NULL DEFAULT nextval('resource_versions'),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (region, endpoint)
);
CREATE TRIGGER endpoint_policies_version BEFORE UPDATE ON endpoint_policies
    FOR EACH ROW EXECUTE FUNCTION bump_resource_version();

-- Approvals of a promotion, per deployment and live generation it would replace.
CREATE TABLE promotion_approvals (
    deployment_id  uuid NOT NULL REFERENCES deployments (id) ON DELETE CASCADE,
    approver       text NOT NULL,
    comment        text NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    consumed_at    timestamptz NULL,
    PRIMARY KEY (deployment_id, approver, created_at)
);
CREATE INDEX promotion_approvals_open ON promotion_approvals (deployment_id) WHERE consumed_at IS NULL;

-- Which deployment was live on an endpoint, and when: rollback restores the
-- previous one, and the scoreboard knows each deployment's mode over time.
CREATE TABLE live_history (
    id             bigserial PRIMARY KEY,
    region         text NOT NULL,
    endpoint       text NOT NULL,
    deployment_id  uuid NOT NULL,
    since          timestamptz NOT NULL DEFAULT now(),
    reason         text NOT NULL,
    actor          text NOT NULL
);
CREATE INDEX live_history_endpoint ON live_history (region, endpoint, id);
