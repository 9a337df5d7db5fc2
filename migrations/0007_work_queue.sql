-- The durable work queue of the reconcilers (DESIGN.md §5).
--
-- One row per (kind, key) that needs a reconcile. Rows are made by triggers
-- in the same transaction as the desired-state change, so a committed change
-- always has its work item; NOTIFY on 'sluice_work' only wakes the workers
-- sooner. Workers take due rows with FOR UPDATE SKIP LOCKED and hold them
-- under a lease; a dead worker's lease runs out and another takes the row.
CREATE TABLE work_items (
    kind              text NOT NULL CHECK (kind IN ('deployment', 'run', 'dataset')),
    key               text NOT NULL,
    -- Bumped by every change: a change during a reconcile makes the item
    -- due again when that reconcile completes.
    sequence          bigint NOT NULL DEFAULT 1,
    due_at            timestamptz NOT NULL DEFAULT now(),
    attempts          integer NOT NULL DEFAULT 0,
    lease_token       uuid NULL,
    lease_owner       text NULL,
    lease_expires_at  timestamptz NULL,
    last_error        text NULL,
    parked_at         timestamptz NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, key)
);
CREATE INDEX work_items_due ON work_items (due_at) WHERE parked_at IS NULL;

-- Makes (kind, key) due now; a parked item is revived by a new change.
CREATE FUNCTION sluice_enqueue_work(p_kind text, p_key text) RETURNS void LANGUAGE sql AS $$
    INSERT INTO work_items AS w (kind, key) VALUES (p_kind, p_key)
    ON CONFLICT (kind, key) DO UPDATE
        SET sequence = w.sequence + 1, due_at = now(), attempts = 0, parked_at = NULL, updated_at = now();
$$;

-- Desired state of a deployment: created, spec changed (generation), or
-- deletion requested. Status writes by the reconciler do not enqueue.
CREATE FUNCTION deployments_enqueue_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT'
       OR NEW.generation IS DISTINCT FROM OLD.generation
       OR NEW.mode IS DISTINCT FROM OLD.mode
       OR NEW.deletion_requested_at IS DISTINCT FROM OLD.deletion_requested_at THEN
        PERFORM sluice_enqueue_work('deployment', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER deployments_work AFTER INSERT OR UPDATE ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_enqueue_work();

-- A new run, or a cancel request.
CREATE FUNCTION runs_enqueue_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' OR NEW.cancel_requested IS DISTINCT FROM OLD.cancel_requested THEN
        PERFORM sluice_enqueue_work('run', NEW.id::text);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER runs_work AFTER INSERT OR UPDATE ON runs
    FOR EACH ROW EXECUTE FUNCTION runs_enqueue_work();

-- A new dataset version: the dataset's worker takes its versions in order.
CREATE FUNCTION dataset_versions_enqueue_work() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM sluice_enqueue_work('dataset', NEW.dataset_id::text);
    RETURN NULL;
END $$;
CREATE TRIGGER dataset_versions_work AFTER INSERT ON dataset_versions
    FOR EACH ROW EXECUTE FUNCTION dataset_versions_enqueue_work();

-- Reconciles that gave up (parked) or are retrying, for operators.
CREATE INDEX work_items_parked ON work_items (parked_at) WHERE parked_at IS NOT NULL;

-- The deployment reconciler's launch counter: each launch takes the next
-- serial (committed first) and uses it in its EC2 ClientToken, so a retried
-- call never launches twice and a replacement never reuses a spent token.
ALTER TABLE deployments ADD COLUMN launch_serial bigint NOT NULL DEFAULT 0;

-- A deployment's ETag is the version of its desired state: the reconciler's
-- status writes must not make a user's If-Match stale between GET and PATCH.
CREATE FUNCTION deployments_bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (NEW.name, NEW.region, NEW.endpoint, NEW.model_id, NEW.model_version, NEW.mode, NEW.replicas, NEW.instance_type,
        NEW.runtime, NEW.target, NEW.generation, NEW.revision, NEW.deletion_requested_at)
       IS DISTINCT FROM
       (OLD.name, OLD.region, OLD.endpoint, OLD.model_id, OLD.model_version, OLD.mode, OLD.replicas, OLD.instance_type,
        OLD.runtime, OLD.target, OLD.generation, OLD.revision, OLD.deletion_requested_at) THEN
        NEW.resource_version := nextval('resource_versions');
    ELSE
        NEW.resource_version := OLD.resource_version;
    END IF;
    NEW.updated_at := now();
    RETURN NEW;
END $$;
DROP TRIGGER deployments_version ON deployments;
CREATE TRIGGER deployments_version BEFORE UPDATE ON deployments
    FOR EACH ROW EXECUTE FUNCTION deployments_bump_version();
