-- A replayed creation carries the ETag of the first answer, as DESIGN.md §3
-- ("the first response") and the 201s of openapi.yaml ask (decision 90).
ALTER TABLE idempotency_keys ADD COLUMN etag text NULL;
