-- Lookups of predictions by request id (every ingest pairs new rows with
-- the other deployments' answers to the same requests) must use an index
-- that leads with the request id. On fresh day partitions, without
-- statistics yet, the planner otherwise picked the (region, endpoint, at)
-- index for them, scanning the whole endpoint once per row. The scoreboard
-- reads rollups and no longer needs an index by endpoint and time.
DROP INDEX predictions_endpoint_at;
DROP INDEX predictions_request;
CREATE INDEX predictions_request ON predictions (request_id, region, endpoint);
DROP INDEX outcomes_request;
CREATE INDEX outcomes_request ON outcomes (request_id, region, endpoint);
