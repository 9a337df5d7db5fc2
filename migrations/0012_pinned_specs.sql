-- A dataset version and a run keep the spec they were requested with
-- (docs/decisions.md 83): `apply` may change a dataset's client, source or
-- destination, or an experiment's dataset, image or pipeline, while a
-- version or run is unfinished, and a finished one's lineage must not
-- follow later edits. The columns are nullable so that a binary from
-- before this migration can still insert rows during a rolling upgrade;
-- readers take the parent's current value where a row has none.
ALTER TABLE dataset_versions
    ADD COLUMN client          text NULL,
    ADD COLUMN source_uri      text NULL,
    ADD COLUMN destination_uri text NULL,
    ADD COLUMN format          text NULL,
    ADD COLUMN fund_column     text NULL,
    ADD COLUMN gates           jsonb NULL;

ALTER TABLE runs
    ADD COLUMN dataset_id      uuid NULL REFERENCES datasets (id) ON DELETE RESTRICT,
    ADD COLUMN image           text NULL,
    ADD COLUMN kubeflow        jsonb NULL,
    ADD COLUMN code_repository text NULL,
    ADD COLUMN code_branch     text NULL;
CREATE INDEX runs_dataset ON runs (dataset_id);

-- Existing rows take their parent's spec as it is now: the best record
-- there is of what they used. Finished runs are final (runs_terminal), and
-- runs and versions carry ETags (the *_version triggers); those triggers
-- are off for this backfill only, so nothing changes state or ETag.
ALTER TABLE dataset_versions DISABLE TRIGGER dataset_versions_version;
UPDATE dataset_versions v
SET client = d.client, source_uri = d.source_uri, destination_uri = d.destination_uri, format = d.format,
    fund_column = d.fund_column, gates = d.gates
FROM datasets d WHERE d.id = v.dataset_id;
ALTER TABLE dataset_versions ENABLE TRIGGER dataset_versions_version;

ALTER TABLE runs DISABLE TRIGGER runs_terminal, DISABLE TRIGGER runs_version;
UPDATE runs r
SET dataset_id = e.dataset_id, image = e.image, kubeflow = e.kubeflow, code_repository = e.code_repository,
    code_branch = e.code_branch
FROM experiments e WHERE e.id = r.experiment_id;
ALTER TABLE runs ENABLE TRIGGER runs_terminal, ENABLE TRIGGER runs_version;
