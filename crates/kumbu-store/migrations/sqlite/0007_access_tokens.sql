-- Client credentials (issued by `kumbu credentials create`) and the short-lived access tokens
-- they are exchanged for (Adullam's /auth/token and /oauth/token). Secrets and tokens are stored
-- as SHA-256 hashes only.

CREATE TABLE client_credentials (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    mode         TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    phone        TEXT UNIQUE,
    secret_hash  TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);

CREATE TABLE access_tokens (
    token_hash     TEXT PRIMARY KEY,
    credential_id  TEXT NOT NULL REFERENCES client_credentials(id),
    merchant_id    TEXT NOT NULL REFERENCES merchants(id),
    mode           TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    created_at     BIGINT NOT NULL,
    expires_at     BIGINT NOT NULL,
    revoked_at     BIGINT
);
CREATE INDEX access_tokens_credential ON access_tokens (credential_id);
