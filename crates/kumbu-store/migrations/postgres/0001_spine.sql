-- Kumbu spine: merchants, keys, payments with history, outbox events, ledger, idempotency.
-- Timestamps are BIGINT microseconds since the Unix epoch (UTC), identical on both backends.

CREATE TABLE merchants (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at  BIGINT NOT NULL
);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    mode         TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    key_hash     TEXT NOT NULL UNIQUE,
    key_hint     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    revoked_at   BIGINT
);
CREATE INDEX api_keys_merchant ON api_keys (merchant_id);

CREATE TABLE payments (
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id                  TEXT NOT NULL UNIQUE,
    merchant_id         TEXT NOT NULL REFERENCES merchants(id),
    mode                TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    status              TEXT NOT NULL CHECK (status IN ('created', 'operator_pending', 'user_confirming', 'debited', 'settled', 'failed', 'expired', 'cancelled')),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    fee                 BIGINT NOT NULL CHECK (fee >= 0 AND fee <= amount),
    currency            TEXT NOT NULL CHECK (currency IN ('CVE', 'AOA', 'MZN', 'XOF', 'XAF')),
    operator            TEXT NOT NULL,
    payer_phone         TEXT NOT NULL,
    customer_name       TEXT,
    customer_email      TEXT,
    reference           TEXT,
    description         TEXT,
    metadata            TEXT NOT NULL,
    operator_reference  TEXT,
    failure_code        TEXT,
    failure_message     TEXT,
    operator_code       TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    expires_at          BIGINT NOT NULL,
    rail_step           BIGINT NOT NULL DEFAULT 0,
    next_action_at      BIGINT,
    CHECK ((status IN ('failed', 'expired', 'cancelled')) = (failure_code IS NOT NULL))
);
CREATE UNIQUE INDEX payments_reference ON payments (merchant_id, mode, reference) WHERE reference IS NOT NULL;
CREATE INDEX payments_listing ON payments (merchant_id, mode, seq);
CREATE INDEX payments_due ON payments (next_action_at) WHERE next_action_at IS NOT NULL;

CREATE TABLE payment_history (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id   TEXT NOT NULL REFERENCES payments(id),
    from_status  TEXT,
    to_status    TEXT NOT NULL,
    reason       TEXT NOT NULL,
    at           BIGINT NOT NULL
);
CREATE INDEX payment_history_payment ON payment_history (payment_id, seq);

CREATE TABLE events (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    mode         TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    type         TEXT NOT NULL,
    object_id    TEXT NOT NULL,
    object_seq   BIGINT NOT NULL,
    payload      TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    UNIQUE (object_id, object_seq)
);
CREATE INDEX events_listing ON events (merchant_id, mode, seq);

CREATE TABLE ledger_accounts (
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    mode         TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    currency     TEXT NOT NULL,
    account      TEXT NOT NULL,
    balance      BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, mode, currency, account)
);

CREATE TABLE ledger_entries (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    journal_id   TEXT NOT NULL,
    journal_kind TEXT NOT NULL,
    payment_id   TEXT REFERENCES payments(id),
    merchant_id  TEXT NOT NULL,
    mode         TEXT NOT NULL,
    currency     TEXT NOT NULL,
    account      TEXT NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount <> 0),
    created_at   BIGINT NOT NULL
);
CREATE INDEX ledger_entries_journal ON ledger_entries (journal_id);
-- A payment posts each kind of journal once: a second posting fails the transaction.
CREATE UNIQUE INDEX ledger_entries_once ON ledger_entries (payment_id, journal_kind, account);

-- Responses of requests made with an Idempotency-Key, written in the same transaction as the
-- work they answer; replayed for 24 hours.
CREATE TABLE idempotency_keys (
    merchant_id      TEXT NOT NULL,
    mode             TEXT NOT NULL,
    key              TEXT NOT NULL,
    fingerprint      TEXT NOT NULL,
    response_status  BIGINT NOT NULL,
    response_body    TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, mode, key)
);
CREATE INDEX idempotency_keys_age ON idempotency_keys (created_at);

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
