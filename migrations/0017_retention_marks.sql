-- Per-endpoint retention trims rows older than the endpoint's limit
-- (decision 110). Each pass deletes only from where the last one stopped,
-- so it reads the newest day partitions instead of every one it keeps.
CREATE TABLE retention_marks (
    region         text NOT NULL,
    endpoint       text NOT NULL,
    trimmed_until  timestamptz NOT NULL,
    PRIMARY KEY (region, endpoint)
);
