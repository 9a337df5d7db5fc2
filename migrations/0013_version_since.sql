-- When a deployment's current model version started serving (docs/decisions.md 84):
-- promotion evidence counts only from then, so changing a stealth
-- deployment's version does not carry its old version's record (or its
-- approvals) over to the new one. NULL: the version never changed since
-- the deployment was created; no backfill is needed.
ALTER TABLE deployments ADD COLUMN version_since timestamptz NULL;
