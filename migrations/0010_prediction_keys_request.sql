-- Ingest looks up the stored predictions of a request (the pairs and
-- matches its rollups need) through the key tables, which hold each row's
-- `at`: the partitioned tables are then read in the one day partition
-- holding the row, never across every partition (docs/decisions.md 72).
-- `outcome_keys` is already keyed by (region, endpoint, request_id);
-- `prediction_keys` is keyed by deployment first, so it needs this index.
-- IF NOT EXISTS: on a large store, operators may build it beforehand with
-- CREATE INDEX CONCURRENTLY (docs/operations.md, Upgrades).
CREATE INDEX IF NOT EXISTS prediction_keys_request ON prediction_keys (request_id);
