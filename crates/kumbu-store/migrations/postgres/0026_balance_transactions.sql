-- Balance transactions: one per journal that changes what Kumbu owes a merchant (its pending and
-- available accounts together), numbered per merchant, mode and currency with the balance after
-- it; written in the journal's own transaction (kumbu_core::balance). `balance_heads` holds each
-- currency's last number and balance: the row every such transaction updates, so that numbers and
-- balances follow one another exactly however many processes post at once.

CREATE TABLE balance_transactions (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id             TEXT NOT NULL UNIQUE,
    merchant_id    TEXT NOT NULL REFERENCES merchants(id),
    mode           TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    currency       TEXT NOT NULL,
    number         BIGINT NOT NULL CHECK (number > 0),
    type           TEXT NOT NULL CHECK (type IN ('payment', 'refund', 'payout', 'payout_failure', 'adjustment')),
    -- The payment, refund or payout that moved the balance.
    source_id      TEXT NOT NULL,
    -- The payment a payment's or a refund's transaction belongs to.
    payment_id     TEXT,
    journal_id     TEXT NOT NULL UNIQUE,
    amount         BIGINT NOT NULL,
    fee            BIGINT NOT NULL,
    net            BIGINT NOT NULL,
    balance_after  BIGINT NOT NULL,
    -- When the net became available (a payment: when settled); NULL while pending.
    available_on   BIGINT,
    created_at     BIGINT NOT NULL,
    CHECK (net = amount - fee),
    UNIQUE (merchant_id, mode, currency, number)
);
CREATE INDEX balance_transactions_listing ON balance_transactions (merchant_id, mode, seq);
-- Statements and exports read a period of one currency from this index alone.
CREATE INDEX balance_transactions_period ON balance_transactions (merchant_id, mode, currency, created_at, type, amount, fee, net);
-- Exports read a period of every currency, oldest first, a page at a time.
CREATE INDEX balance_transactions_export ON balance_transactions (merchant_id, mode, created_at, seq);
CREATE INDEX balance_transactions_payment ON balance_transactions (payment_id) WHERE payment_id IS NOT NULL;

CREATE TABLE balance_heads (
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    mode         TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    currency     TEXT NOT NULL,
    number       BIGINT NOT NULL,
    balance      BIGINT NOT NULL,
    -- When its last transaction was posted: the next is never earlier, so that time order and
    -- number order agree.
    last_at      BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, mode, currency)
);

-- The journals posted before this migration, in the order they were posted.
INSERT INTO balance_transactions (id, merchant_id, mode, currency, number, type, source_id,
    payment_id, journal_id, amount, fee, net, balance_after, available_on, created_at)
SELECT 'txn_' || substr(j.journal_id, 5), j.merchant_id, j.mode, j.currency,
    ROW_NUMBER() OVER (PARTITION BY j.merchant_id, j.mode, j.currency ORDER BY j.first_seq),
    j.type, j.source_id, j.payment_id, j.journal_id, j.net + j.fee, j.fee, j.net,
    SUM(j.net) OVER (PARTITION BY j.merchant_id, j.mode, j.currency ORDER BY j.first_seq
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
    CASE WHEN j.type = 'payment' THEN (SELECT MIN(s.created_at) FROM ledger_entries s
        WHERE s.payment_id = j.payment_id AND s.journal_kind = 'payment.settled')
        ELSE MAX(j.created_at) OVER (PARTITION BY j.merchant_id, j.mode, j.currency ORDER BY j.first_seq
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) END,
    MAX(j.created_at) OVER (PARTITION BY j.merchant_id, j.mode, j.currency ORDER BY j.first_seq
        ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
FROM (
    SELECT journal_id, MIN(seq) AS first_seq, merchant_id, mode, currency,
        CASE journal_kind WHEN 'payment.debited' THEN 'payment' WHEN 'refund.succeeded' THEN 'refund'
            WHEN 'payout.reserved' THEN 'payout' WHEN 'payout.released' THEN 'payout_failure'
            ELSE 'adjustment' END AS type,
        COALESCE(MIN(refund_id), MIN(payout_id), MIN(payment_id)) AS source_id,
        MIN(payment_id) AS payment_id,
        -SUM(CASE WHEN account IN ('merchant_pending', 'merchant_available') THEN amount ELSE 0 END) AS net,
        -SUM(CASE WHEN account = 'fee_revenue' THEN amount ELSE 0 END) AS fee,
        MIN(created_at) AS created_at
    FROM ledger_entries
    WHERE journal_kind IN ('payment.debited', 'refund.succeeded', 'payout.reserved',
        'payout.released', 'payment.reclassified')
    GROUP BY journal_id, journal_kind, merchant_id, mode, currency
) j
WHERE j.net <> 0 OR j.fee <> 0
ORDER BY j.first_seq;

INSERT INTO balance_heads (merchant_id, mode, currency, number, balance, last_at)
SELECT merchant_id, mode, currency, MAX(number), SUM(net), MAX(created_at) FROM balance_transactions
GROUP BY merchant_id, mode, currency;
