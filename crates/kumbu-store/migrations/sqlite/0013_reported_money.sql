-- Money Kumbu holds and money reported from elsewhere, apart (issue 23, item 8). Payments on the
-- `external` rail (a merchant's payment records, payments a bank reported) used to post like
-- collected ones, into `settlement_bank` and `merchant_available`, where payouts could spend
-- them. From now on they post `payment.reported` to `reported_funds` and `merchant_reported`
-- only. Each such payment posted before gets one `payment.reclassified` journal moving its net
-- postings off the held accounts onto the reported ones (every pair sums to zero, so the
-- journal balances), and the balances are recomputed from the entries.

INSERT INTO ledger_entries
    (journal_id, journal_kind, payment_id, merchant_id, mode, currency, account, amount, created_at)
SELECT 'jrn_' || substr(s.payment_id, 5), 'payment.reclassified', s.payment_id, s.merchant_id,
       s.mode, s.currency, s.account, s.amount, s.at
FROM (
    SELECT e.payment_id, e.merchant_id, e.mode, e.currency, e.account,
           CAST(-SUM(e.amount) AS BIGINT) AS amount, MAX(e.created_at) AS at
    FROM ledger_entries e JOIN payments p ON p.id = e.payment_id
    WHERE p.operator = 'external'
      AND e.account IN ('operator_clearing', 'settlement_bank', 'merchant_pending', 'merchant_available')
    GROUP BY e.payment_id, e.merchant_id, e.mode, e.currency, e.account
    UNION ALL
    SELECT e.payment_id, e.merchant_id, e.mode, e.currency,
           CASE WHEN e.account IN ('operator_clearing', 'settlement_bank')
                THEN 'reported_funds' ELSE 'merchant_reported' END,
           CAST(SUM(e.amount) AS BIGINT), MAX(e.created_at)
    FROM ledger_entries e JOIN payments p ON p.id = e.payment_id
    WHERE p.operator = 'external'
      AND e.account IN ('operator_clearing', 'settlement_bank', 'merchant_pending', 'merchant_available')
    GROUP BY e.payment_id, e.merchant_id, e.mode, e.currency,
             CASE WHEN e.account IN ('operator_clearing', 'settlement_bank')
                  THEN 'reported_funds' ELSE 'merchant_reported' END
) s
WHERE s.amount <> 0;

INSERT INTO ledger_accounts (merchant_id, mode, currency, account, balance)
SELECT merchant_id, mode, currency, account, 0 FROM ledger_entries
WHERE journal_kind = 'payment.reclassified'
GROUP BY merchant_id, mode, currency, account
ON CONFLICT DO NOTHING;

-- Each affected balance moves by its reclassification entries: one pass over the entries into
-- a small table of deltas, then one lookup per affected account (no scan of the entries per
-- account: no index covers them by account).
CREATE TEMPORARY TABLE reclassified AS
SELECT merchant_id, mode, currency, account, CAST(SUM(amount) AS BIGINT) AS delta
FROM ledger_entries WHERE journal_kind = 'payment.reclassified'
GROUP BY merchant_id, mode, currency, account;

UPDATE ledger_accounts SET balance = balance + (
    SELECT r.delta FROM reclassified r
    WHERE r.merchant_id = ledger_accounts.merchant_id AND r.mode = ledger_accounts.mode
      AND r.currency = ledger_accounts.currency AND r.account = ledger_accounts.account)
WHERE EXISTS (
    SELECT 1 FROM reclassified r
    WHERE r.merchant_id = ledger_accounts.merchant_id AND r.mode = ledger_accounts.mode
      AND r.currency = ledger_accounts.currency AND r.account = ledger_accounts.account);

DROP TABLE reclassified;
