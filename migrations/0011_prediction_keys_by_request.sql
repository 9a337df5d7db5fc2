-- `prediction_keys` is keyed by (request_id, deployment_id) instead of
-- (deployment_id, request_id): the same uniqueness, and the key itself now
-- serves ingest's lookups of a request's stored predictions, so the
-- separate index on request_id (migration 0010) goes. Every stored
-- prediction then writes one index entry fewer (docs/decisions.md 75).
-- IF NOT EXISTS: on a large store, operators may build the index
-- beforehand with CREATE UNIQUE INDEX CONCURRENTLY (docs/operations.md,
-- Upgrades); the constraint then takes it over. An index of that name
-- that is not exactly that (left invalid by a failed concurrent build, or
-- built with other columns) is dropped and built again; one of that name
-- on another table stops the migration.
DO $$
DECLARE
    existing regclass := to_regclass('prediction_keys_request_deployment');
BEGIN
    IF existing IS NULL THEN
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_index WHERE indexrelid = existing AND indrelid = 'prediction_keys'::regclass) THEN
        RAISE EXCEPTION '% is not an index of prediction_keys: rename it before upgrading', existing;
    END IF;
    IF NOT EXISTS (
        SELECT 1 FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am am ON am.oid = c.relam
        WHERE i.indexrelid = existing AND i.indisvalid AND i.indisunique AND am.amname = 'btree'
            AND i.indpred IS NULL AND i.indexprs IS NULL
            AND (SELECT array_agg(a.attname ORDER BY k.n)
                 FROM unnest(i.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum)
                = ARRAY['request_id', 'deployment_id']::name[])
    THEN
        EXECUTE format('DROP INDEX %s', existing);
    END IF;
END $$;
CREATE UNIQUE INDEX IF NOT EXISTS prediction_keys_request_deployment ON prediction_keys (request_id, deployment_id);
ALTER TABLE prediction_keys DROP CONSTRAINT prediction_keys_pkey;
ALTER TABLE prediction_keys ADD CONSTRAINT prediction_keys_pkey PRIMARY KEY USING INDEX prediction_keys_request_deployment;
DROP INDEX IF EXISTS prediction_keys_request;
