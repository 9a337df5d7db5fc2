-- `prediction_keys` is keyed by (request_id, deployment_id) instead of
-- (deployment_id, request_id): the same uniqueness, and the key itself now
-- serves ingest's lookups of a request's stored predictions, so the
-- separate index on request_id (migration 0010) goes. Every stored
-- prediction then writes one index entry fewer (docs/decisions.md 75).
-- IF NOT EXISTS: on a large store, operators may build the index
-- beforehand with CREATE UNIQUE INDEX CONCURRENTLY (docs/operations.md,
-- Upgrades); the constraint then takes it over. A concurrent build that
-- failed leaves an invalid index of that name: it is dropped and built again.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
               WHERE c.relname = 'prediction_keys_request_deployment' AND NOT i.indisvalid) THEN
        DROP INDEX prediction_keys_request_deployment;
    END IF;
END $$;
CREATE UNIQUE INDEX IF NOT EXISTS prediction_keys_request_deployment ON prediction_keys (request_id, deployment_id);
ALTER TABLE prediction_keys DROP CONSTRAINT prediction_keys_pkey;
ALTER TABLE prediction_keys ADD CONSTRAINT prediction_keys_pkey PRIMARY KEY USING INDEX prediction_keys_request_deployment;
DROP INDEX IF EXISTS prediction_keys_request;
