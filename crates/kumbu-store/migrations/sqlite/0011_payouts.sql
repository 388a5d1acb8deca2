-- Payouts: money a merchant sends from its available balance to a mobile wallet. Each posts
-- its own journals (reserved, then sent or released), keyed by the payout.

CREATE TABLE payouts (
    seq                 INTEGER PRIMARY KEY AUTOINCREMENT,
    id                  TEXT NOT NULL UNIQUE,
    merchant_id         TEXT NOT NULL REFERENCES merchants(id),
    mode                TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    amount              BIGINT NOT NULL CHECK (amount > 0),
    currency            TEXT NOT NULL CHECK (currency IN ('CVE', 'AOA', 'MZN', 'XOF', 'XAF')),
    operator            TEXT NOT NULL,
    payee_phone         TEXT NOT NULL,
    reference           TEXT,
    description         TEXT,
    metadata            TEXT NOT NULL,
    status              TEXT NOT NULL CHECK (status IN ('pending', 'processing', 'succeeded', 'failed')),
    operator_reference  TEXT,
    failure_code        TEXT,
    failure_message     TEXT,
    operator_code       TEXT,
    created_at          BIGINT NOT NULL,
    updated_at          BIGINT NOT NULL,
    next_action_at      BIGINT,
    -- A final payout is never due again.
    CHECK (status IN ('pending', 'processing') OR next_action_at IS NULL)
);
CREATE INDEX payouts_listing ON payouts (merchant_id, mode, seq);
CREATE INDEX payouts_due ON payouts (next_action_at) WHERE next_action_at IS NOT NULL;
CREATE UNIQUE INDEX payouts_reference ON payouts (merchant_id, mode, reference) WHERE reference IS NOT NULL;
CREATE INDEX payouts_operator_reference ON payouts (operator_reference) WHERE operator_reference IS NOT NULL;

ALTER TABLE ledger_entries ADD COLUMN payout_id TEXT REFERENCES payouts(id);
-- A payout posts each kind of journal once.
CREATE UNIQUE INDEX ledger_entries_payout_once ON ledger_entries (payout_id, journal_kind, account) WHERE payout_id IS NOT NULL;
