-- The REST resources of DESIGN.md §4 and the rules the database itself
-- enforces: names, states, immutability, at most one live deployment per
-- endpoint. Swift validates first to answer with field-level 422s; these
-- constraints are the last line when two requests race.

-- Every change to a resource row takes a new value from this sequence; it is
-- the row's strong ETag (DESIGN.md §3), whatever column changed.
CREATE SEQUENCE resource_versions;

CREATE FUNCTION bump_resource_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.resource_version := nextval('resource_versions');
    NEW.updated_at := now();
    RETURN NEW;
END $$;

CREATE DOMAIN resource_name AS text
    CHECK (VALUE ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$');

-- Approved funds: each PUT is a new numbered version per client.
CREATE TABLE approved_funds (
    client      resource_name NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    fund_ids    text[] NOT NULL,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (client, version)
);

CREATE TABLE datasets (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name              resource_name NOT NULL UNIQUE,
    client            resource_name NOT NULL,
    source_uri        text NOT NULL CHECK (source_uri LIKE 's3://%'),
    destination_uri   text NOT NULL CHECK (destination_uri LIKE 's3://%'),
    format            text NOT NULL CHECK (format IN ('csv', 'csv.gz', 'jsonl')),
    fund_column       text NOT NULL CHECK (fund_column <> ''),
    gates             jsonb NULL,
    resource_version  bigint NOT NULL DEFAULT nextval('resource_versions'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER datasets_version BEFORE UPDATE ON datasets
    FOR EACH ROW EXECUTE FUNCTION bump_resource_version();

CREATE TABLE dataset_versions (
    dataset_id              uuid NOT NULL REFERENCES datasets (id) ON DELETE CASCADE,
    version                 integer NOT NULL CHECK (version >= 1),
    status                  text NOT NULL DEFAULT 'pending'
                            CHECK (status IN ('pending', 'copying', 'profiling', 'ready', 'quarantined', 'failed')),
    approved_funds_version  integer NOT NULL,
    source_objects          jsonb NULL,
    outputs                 jsonb NULL,
    records_in              bigint NULL,
    records_out             bigint NULL,
    records_rejected        bigint NULL,
    quality                 jsonb NULL,
    reason                  text NULL,
    created_by              text NOT NULL,
    resource_version        bigint NOT NULL DEFAULT nextval('resource_versions'),
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    started_at              timestamptz NULL,
    finished_at             timestamptz NULL,
    PRIMARY KEY (dataset_id, version)
);
CREATE TRIGGER dataset_versions_version BEFORE UPDATE ON dataset_versions
    FOR EACH ROW EXECUTE FUNCTION bump_resource_version();

CREATE TABLE experiments (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name              resource_name NOT NULL UNIQUE,
    kubeflow          jsonb NOT NULL,
    code_repository   text NOT NULL,
    code_branch       text NOT NULL,
    image             text NOT NULL,
    dataset_id        uuid NOT NULL REFERENCES datasets (id) ON DELETE RESTRICT,
    parameters        jsonb NOT NULL DEFAULT '{}'::jsonb,
    trigger           text NOT NULL CHECK (trigger IN ('manual', 'push')),
    resource_version  bigint NOT NULL DEFAULT nextval('resource_versions'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER experiments_version BEFORE UPDATE ON experiments
    FOR EACH ROW EXECUTE FUNCTION bump_resource_version();

CREATE TABLE runs (
    id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    experiment_id      uuid NOT NULL REFERENCES experiments (id) ON DELETE CASCADE,
    status             text NOT NULL DEFAULT 'pending'
                       CHECK (status IN ('pending', 'submitted', 'running', 'succeeded', 'failed', 'canceled')),
    trigger            text NOT NULL CHECK (trigger IN ('manual', 'push')),
    kubeflow_run_id    text NULL,
    commit             text NULL,
    dataset_version    integer NULL,
    image_digest       text NULL,
    parameters         jsonb NOT NULL DEFAULT '{}'::jsonb,
    metrics            jsonb NULL,
    reason             text NULL,
    cancel_requested   boolean NOT NULL DEFAULT false,
    created_by         text NOT NULL,
    resource_version   bigint NOT NULL DEFAULT nextval('resource_versions'),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    finished_at        timestamptz NULL
);
CREATE INDEX runs_experiment_created ON runs (experiment_id, created_at, id);

-- A run in a terminal state never changes again, whoever writes.
CREATE FUNCTION runs_terminal_is_final() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status IN ('succeeded', 'failed', 'canceled') THEN
        RAISE EXCEPTION 'run % is % and can no longer change', OLD.id, OLD.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'runs_terminal_is_final';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER runs_terminal BEFORE UPDATE ON runs
    FOR EACH ROW EXECUTE FUNCTION runs_terminal_is_final();
CREATE TRIGGER runs_version BEFORE UPDATE ON runs
    FOR EACH ROW EXECUTE FUNCTION bump_resource_version();

CREATE TABLE models (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name              resource_name NOT NULL UNIQUE,
    task              text NOT NULL CHECK (task IN ('classification', 'regression')),
    resource_version  bigint NOT NULL DEFAULT nextval('resource_versions'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER models_version BEFORE UPDATE ON models
    FOR EACH ROW EXECUTE FUNCTION bump_resource_version();

CREATE TABLE model_versions (
    model_id          uuid NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version           integer NOT NULL CHECK (version >= 1),
    artifact_uri      text NOT NULL CHECK (artifact_uri LIKE 's3://%'),
    artifact_etag     text NULL,
    artifact_sha256   text NULL,
    artifact_size     bigint NULL,
    image             text NOT NULL,
    image_digest      text NULL,
    run_id            uuid NULL,
    experiment        text NULL,
    commit            text NULL,
    dataset           text NULL,
    dataset_version   integer NULL,
    metrics           jsonb NULL,
    created_by        text NOT NULL,
    resource_version  bigint NOT NULL DEFAULT nextval('resource_versions'),
    created_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (model_id, version)
);

-- Model versions are immutable: their lineage is evidence.
CREATE FUNCTION model_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'model versions are immutable'
        USING ERRCODE = 'check_violation', CONSTRAINT = 'model_versions_immutable';
END $$;
CREATE TRIGGER model_versions_no_update BEFORE UPDATE ON model_versions
    FOR EACH ROW EXECUTE FUNCTION model_versions_immutable();

CREATE TABLE deployments (
    id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name                   resource_name NOT NULL,
    region                 text NOT NULL CHECK (region ~ '^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$'),
    endpoint               resource_name NOT NULL,
    model_id               uuid NOT NULL,
    model_version          integer NOT NULL,
    mode                   text NOT NULL CHECK (mode IN ('live', 'stealth')),
    replicas               integer NULL CHECK (replicas BETWEEN 0 AND 100),
    instance_type          text NULL,
    runtime                text NOT NULL CHECK (runtime IN ('torchserve', 'oip')),
    target                 jsonb NOT NULL,
    generation             bigint NOT NULL DEFAULT 1,
    revision               integer NOT NULL DEFAULT 1,
    status                 jsonb NOT NULL DEFAULT '{"phase":"pending","instances":[],"conditions":[]}'::jsonb,
    observed_generation    bigint NOT NULL DEFAULT 0,
    deletion_requested_at  timestamptz NULL,
    created_by             text NOT NULL,
    resource_version       bigint NOT NULL DEFAULT nextval('resource_versions'),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (model_id, model_version) REFERENCES model_versions (model_id, version) ON DELETE RESTRICT
);
CREATE TRIGGER deployments_version BEFORE UPDATE ON deployments
    FOR EACH ROW EXECUTE FUNCTION bump_resource_version();

-- Names identify deployments that are not being torn down.
CREATE UNIQUE INDEX deployments_active_name ON deployments (name) WHERE deletion_requested_at IS NULL;
-- At most one live deployment per (region, endpoint) (DESIGN.md §4). A
-- deployment being torn down no longer counts: it receives no traffic.
CREATE UNIQUE INDEX deployments_one_live ON deployments (region, endpoint)
    WHERE mode = 'live' AND deletion_requested_at IS NULL;
CREATE INDEX deployments_created ON deployments (created_at, id);
CREATE INDEX deployments_endpoint ON deployments (region, endpoint);
CREATE INDEX deployments_model ON deployments (model_id, model_version);

-- Idempotency-Key (DESIGN.md §3): the first successful response to a POST
-- with a key, replayed to retries with the same key and body for 24 hours.
CREATE TABLE idempotency_keys (
    actor          text NOT NULL,
    key            text NOT NULL,
    method         text NOT NULL,
    path           text NOT NULL,
    request_hash   bytea NOT NULL,
    status         integer NULL,
    content_type   text NULL,
    location       text NULL,
    body           bytea NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (actor, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Events are listed newest first, filtered by type and optionally id.
CREATE INDEX events_type_id ON events (resource_type, id);
