-- Refunds, and payments that can be partially or fully refunded.
--
-- SQLite cannot change a CHECK constraint in place, so the payments table is rebuilt by the
-- documented procedure (new table, copy, drop, rename). Store::migrate runs SQLite migrations
-- with foreign keys off and checks them all afterwards, as that procedure requires.

CREATE TABLE refunds (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,
    payment_id          TEXT NOT NULL REFERENCES payments(id),
    merchant_id         TEXT NOT NULL REFERENCES merchants(id),
    mode                TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
    reason              TEXT,
    metadata            TEXT NOT NULL,
    operator_refund_id  TEXT,
    failure_code        TEXT,
    failure_message     TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    next_action_at      BIGINT
);
CREATE INDEX refunds_listing ON refunds (merchant_id, mode, seq);
CREATE INDEX refunds_payment ON refunds (payment_id, seq);
CREATE INDEX refunds_due ON refunds (next_action_at) WHERE next_action_at IS NOT NULL;
-- At most one refund in flight per payment, whatever the engine's checks.
CREATE UNIQUE INDEX refunds_one_in_flight ON refunds (payment_id) WHERE status IN ('pending', 'processing');

CREATE TABLE payments_new (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,
    merchant_id         TEXT NOT NULL REFERENCES merchants(id),
    mode                TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    status              TEXT NOT NULL CHECK (status IN ('created', 'operator_pending', 'user_confirming', 'debited', 'settled', 'failed', 'expired', 'cancelled', 'partially_refunded', 'refunded')),
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
    bank_reference_id   BIGINT,
    bank_payment_id     BIGINT,
    bank_details        TEXT,
    amount_refunded     BIGINT NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0 AND amount_refunded <= amount),
    CHECK ((status IN ('failed', 'expired', 'cancelled')) = (failure_code IS NOT NULL))
);
INSERT INTO payments_new (seq, id, merchant_id, mode, status, amount, fee, currency, operator, payer_phone, customer_name, customer_email, reference, description, metadata, operator_reference, failure_code, failure_message, operator_code, created_at, updated_at, expires_at, rail_step, next_action_at, bank_reference_id, bank_payment_id, bank_details)
    SELECT seq, id, merchant_id, mode, status, amount, fee, currency, operator, payer_phone, customer_name, customer_email, reference, description, metadata, operator_reference, failure_code, failure_message, operator_code, created_at, updated_at, expires_at, rail_step, next_action_at, bank_reference_id, bank_payment_id, bank_details FROM payments;
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE UNIQUE INDEX payments_reference ON payments (merchant_id, mode, reference) WHERE reference IS NOT NULL;
CREATE INDEX payments_listing ON payments (merchant_id, mode, seq);
CREATE INDEX payments_due ON payments (next_action_at) WHERE next_action_at IS NOT NULL;
CREATE UNIQUE INDEX payments_bank ON payments (merchant_id, mode, bank_payment_id) WHERE bank_payment_id IS NOT NULL;

-- A refund's journal is keyed by the refund (a payment may have several).
ALTER TABLE ledger_entries ADD COLUMN refund_id TEXT REFERENCES refunds(id);
-- Refund journals carry their payment too, so "once per payment" holds for the rest only.
DROP INDEX ledger_entries_once;
CREATE UNIQUE INDEX ledger_entries_once ON ledger_entries (payment_id, journal_kind, account) WHERE refund_id IS NULL;
CREATE UNIQUE INDEX ledger_entries_refund_once ON ledger_entries (refund_id, journal_kind, account) WHERE refund_id IS NOT NULL;

