-- A Bitbucket delivery is also known by its body's signature (the HMAC
-- that X-Hub-Signature carried, docs/decisions.md 85): the delivery id
-- header is not signed, so a captured push sent again under a new id, or
-- one push reaching two webhooks, must not start its runs twice. NULL for
-- deliveries recorded before this migration.
ALTER TABLE bitbucket_deliveries ADD COLUMN body_digest text NULL;
CREATE UNIQUE INDEX bitbucket_deliveries_body_digest ON bitbucket_deliveries (body_digest);
