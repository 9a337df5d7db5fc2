-- Bearer tokens (DESIGN.md §3 Auth) and the audit trail of every mutation.
-- Only the SHA-256 of a token is stored; the secret is shown once at creation.

CREATE TABLE api_tokens (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    role        text NOT NULL CHECK (role IN ('viewer', 'scientist', 'deployer', 'admin')),
    token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz NULL
);

-- Names identify active tokens: a revoked name may be reused.
CREATE UNIQUE INDEX api_tokens_active_name ON api_tokens (name) WHERE revoked_at IS NULL;
-- Keyset pagination of GET /v1/tokens.
CREATE INDEX api_tokens_created_at_id ON api_tokens (created_at, id);

CREATE TABLE events (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    action         text NOT NULL,
    resource_type  text NOT NULL,
    resource_id    text NOT NULL,
    detail         jsonb NOT NULL DEFAULT '{}'::jsonb
);

-- GET /v1/events?resource=<type>/<id>, newest first.
CREATE INDEX events_resource ON events (resource_type, resource_id, id);
