-- Refunds, and payments that can be partially or fully refunded.

CREATE TABLE refunds (
    seq                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

ALTER TABLE payments ADD COLUMN amount_refunded BIGINT NOT NULL DEFAULT 0;
ALTER TABLE payments ADD CONSTRAINT payments_refund_bound CHECK (amount_refunded >= 0 AND amount_refunded <= amount);
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('created', 'operator_pending', 'user_confirming', 'debited', 'settled', 'failed', 'expired', 'cancelled', 'partially_refunded', 'refunded'));

-- A refund's journal is keyed by the refund (a payment may have several).
ALTER TABLE ledger_entries ADD COLUMN refund_id TEXT REFERENCES refunds(id);
-- Refund journals carry their payment too, so "once per payment" holds for the rest only.
DROP INDEX ledger_entries_once;
CREATE UNIQUE INDEX ledger_entries_once ON ledger_entries (payment_id, journal_kind, account) WHERE refund_id IS NULL;
CREATE UNIQUE INDEX ledger_entries_refund_once ON ledger_entries (refund_id, journal_kind, account) WHERE refund_id IS NOT NULL;
