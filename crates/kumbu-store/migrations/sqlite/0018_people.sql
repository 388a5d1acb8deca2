-- The people of a merchant who sign in to the dashboard (issue 25): their roles, their password
-- (an Argon2id PHC string) and second factor (a TOTP secret sealed by the vault, the last step
-- used so that a code is good once), one-time links (to set a password, from an invitation or a
-- reset; stored as SHA-256 hashes), recovery codes (hashes), sessions (by the SHA-256 of the
-- cookie's token; server-side, so that several processes share them and signing out is real),
-- and the audit log of every change a person or an API key makes.
CREATE TABLE people (
    id                 TEXT PRIMARY KEY,
    merchant_id        TEXT NOT NULL REFERENCES merchants(id),
    email              TEXT NOT NULL UNIQUE CHECK (length(email) BETWEEN 3 AND 254),
    role               TEXT NOT NULL CHECK (role IN ('owner', 'developer', 'finance', 'viewer')),
    password_hash      TEXT,
    totp_secret        TEXT,
    totp_pending       TEXT,
    totp_last_step     BIGINT,
    failed_sign_ins    INTEGER NOT NULL DEFAULT 0 CHECK (failed_sign_ins >= 0),
    last_failed_at     BIGINT,
    created_at         BIGINT NOT NULL,
    removed_at         BIGINT
);
CREATE INDEX people_merchant ON people (merchant_id);

CREATE TABLE person_links (
    token_hash   TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES people(id),
    purpose      TEXT NOT NULL CHECK (purpose IN ('invitation', 'reset')),
    created_at   BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    used_at      BIGINT
);
CREATE INDEX person_links_person ON person_links (person_id);

CREATE TABLE recovery_codes (
    code_hash    TEXT PRIMARY KEY,
    person_id    TEXT NOT NULL REFERENCES people(id),
    used_at      BIGINT
);
CREATE INDEX recovery_codes_person ON recovery_codes (person_id);

CREATE TABLE dashboard_sessions (
    token_hash        TEXT PRIMARY KEY,
    person_id         TEXT NOT NULL REFERENCES people(id),
    created_at        BIGINT NOT NULL,
    last_seen_at      BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,
    second_factor_at  BIGINT,
    source            TEXT NOT NULL,
    ended_at          BIGINT
);
CREATE INDEX dashboard_sessions_person ON dashboard_sessions (person_id);

CREATE TABLE audit_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    merchant_id   TEXT NOT NULL REFERENCES merchants(id),
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    subject       TEXT,
    detail        TEXT NOT NULL,
    source        TEXT,
    at            BIGINT NOT NULL
);
CREATE INDEX audit_log_merchant ON audit_log (merchant_id, seq);
