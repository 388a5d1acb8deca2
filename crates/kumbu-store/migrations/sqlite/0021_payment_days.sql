-- What the dashboard's home page charts, summed as it happens so that it answers at once
-- however many payments a merchant has: per merchant, mode, day (UTC, of the payment's
-- creation), operator and currency, how many payments succeeded (were first debited) and for
-- how much, and how many failed or expired. The engine adds to it in the transaction of each
-- such change (kumbu-engine/src/unit_of_work.rs); the rows below are what it would have added.
CREATE TABLE payment_days (
    merchant_id      TEXT NOT NULL,
    mode             TEXT NOT NULL,
    day              TEXT NOT NULL,
    operator         TEXT NOT NULL,
    currency         TEXT NOT NULL,
    succeeded        BIGINT NOT NULL DEFAULT 0,
    succeeded_amount BIGINT NOT NULL DEFAULT 0,
    failed           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, mode, day, operator, currency)
);

INSERT INTO payment_days (merchant_id, mode, day, operator, currency, succeeded, succeeded_amount, failed)
SELECT merchant_id, mode, strftime('%Y-%m-%d', created_at / 1000000, 'unixepoch'), operator, currency,
       SUM(CASE WHEN status IN ('debited', 'settled', 'partially_refunded', 'refunded') THEN 1 ELSE 0 END),
       SUM(CASE WHEN status IN ('debited', 'settled', 'partially_refunded', 'refunded') THEN amount ELSE 0 END),
       SUM(CASE WHEN status IN ('failed', 'expired') THEN 1 ELSE 0 END)
FROM payments
GROUP BY merchant_id, mode, strftime('%Y-%m-%d', created_at / 1000000, 'unixepoch'), operator, currency;

-- The payments list's filters and searches, fast on a merchant with a million payments: each
-- filter walks its own index instead of the whole list newest first (a rare status, an old
-- day, an amount no payment has would otherwise read every row). Only columns a payment never
-- changes, and its status (whose changes were already no HOT updates: next_action_at is
-- indexed and changes with it). Merchant references and operator references had theirs.
CREATE INDEX payments_by_status ON payments (merchant_id, mode, status, seq);
CREATE INDEX payments_by_operator ON payments (merchant_id, mode, operator, seq);
CREATE INDEX payments_by_phone ON payments (merchant_id, mode, payer_phone, seq);
CREATE INDEX payments_by_created ON payments (merchant_id, mode, created_at);
CREATE INDEX payments_by_amount ON payments (merchant_id, mode, amount);
