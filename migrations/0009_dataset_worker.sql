-- The dataset worker (DESIGN.md §4, §5): what a copy records beyond the
-- columns of 0002.
--
-- copy_attempts  copy passes started; a worker killed mid-copy leaves the
--                version in 'copying' and the next pass redoes the whole
--                copy from the pinned snapshot (decisions.md 48).
-- progress       {"objects_done","objects_total","bytes_read","records_in","records_out"}
--                while copying, for operators.
-- timings        {"listing_seconds","copy_seconds","profiling_seconds",
--                "bytes_read","megabytes_per_second"}.
ALTER TABLE dataset_versions
    ADD COLUMN copy_attempts integer NOT NULL DEFAULT 0 CHECK (copy_attempts >= 0),
    ADD COLUMN progress jsonb NULL,
    ADD COLUMN timings jsonb NULL;

-- The worker looks for a dataset's oldest unfinished version.
CREATE INDEX dataset_versions_unfinished ON dataset_versions (dataset_id, version)
    WHERE status IN ('pending', 'copying', 'profiling');
