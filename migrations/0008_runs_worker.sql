-- The run reconciler, Kubeflow callbacks and Bitbucket webhooks (DESIGN.md §4, §5).

-- What the run reconciler keeps about a run beside its public fields.
ALTER TABLE runs
    -- SHA-256 of the per-run callback token handed to the pipeline; the
    -- token itself is never stored.
    ADD COLUMN callback_token_hash bytea NULL,
    -- Set (with the digest, dataset version and token hash) just before the
    -- run is sent to Kubeflow: with it set and no kubeflow_run_id, the
    -- reconciler looks the run up by its deterministic display name before
    -- submitting again (docs/decisions.md).
    ADD COLUMN submit_attempted_at timestamptz NULL,
    -- Polls seen in the current state: the poll interval grows with it.
    ADD COLUMN polls integer NOT NULL DEFAULT 0 CHECK (polls >= 0),
    -- [{"type","status","reason","message","last_transition_time"}]
    ADD COLUMN conditions jsonb NOT NULL DEFAULT '[]'::jsonb,
    -- Artifacts the pipeline reported: {"name": "s3://..."}.
    ADD COLUMN artifacts jsonb NULL;

CREATE UNIQUE INDEX runs_kubeflow_run_id ON runs (kubeflow_run_id) WHERE kubeflow_run_id IS NOT NULL;

-- One row per webhook delivery, so a redelivery (same X-Request-UUID /
-- X-Request-Id) is recognised and changes nothing.
CREATE TABLE bitbucket_deliveries (
    delivery_id  text PRIMARY KEY CHECK (delivery_id <> '' AND length(delivery_id) <= 200),
    event_key    text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now()
);

-- Every branch a push moved, per repository and branch, newest last.
CREATE TABLE bitbucket_pushes (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id  text NOT NULL REFERENCES bitbucket_deliveries (delivery_id) ON DELETE CASCADE,
    repository   text NOT NULL,
    branch       text NOT NULL,
    commit       text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bitbucket_pushes_branch ON bitbucket_pushes (lower(repository), branch, at);

-- Experiments that a push starts, found by repository and branch.
CREATE INDEX experiments_push_trigger ON experiments (lower(code_repository), code_branch) WHERE trigger = 'push';
