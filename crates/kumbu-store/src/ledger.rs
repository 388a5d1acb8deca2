//! Ledger persistence: journals of signed entries, account balances kept in step, and the
//! checks behind `kumbu ledger verify`.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::sql::{insert_rows, Value};
use crate::tx::StoreTx;
use kumbu_core::ledger::{Account, JournalKind, Posting};
use kumbu_core::{Currency, Mode, Timestamp};
use sqlx::{Any, Row};
use std::collections::BTreeMap;

/// A balanced journal to post.
#[derive(Debug, Clone)]
pub struct NewJournal {
    /// `jrn_…`
    pub id: String,
    /// What moved.
    pub kind: JournalKind,
    /// The payment it belongs to (none for a payout's).
    pub payment_id: Option<String>,
    /// The refund that posted it, for a refund's journal.
    pub refund_id: Option<String>,
    /// The payout that posted it, for a payout's journal.
    pub payout_id: Option<String>,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Currency of every entry.
    pub currency: Currency,
    /// Signed entries summing to zero.
    pub postings: Vec<Posting>,
    /// When.
    pub created_at: Timestamp,
}

/// One account balance.
/// One posting of a payment's journals (its own, and its refunds').
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentPosting {
    /// What moved.
    pub kind: JournalKind,
    /// The refund that posted it, for a refund's journal.
    pub refund_id: Option<String>,
    /// The account.
    pub account: Account,
    /// Signed minor units: + debit, − credit.
    pub amount: i64,
    /// Its currency.
    pub currency: Currency,
    /// When.
    pub at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BalanceRow {
    /// Currency.
    pub currency: Currency,
    /// Account kind.
    pub account: Account,
    /// Signed balance (+ debit, − credit).
    pub balance: i64,
}

/// Something `ledger verify` found wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LedgerProblem {
    /// A journal's entries do not sum to zero in a currency.
    UnbalancedJournal {
        /// The journal.
        journal_id: String,
        /// The currency.
        currency: String,
        /// What the entries sum to.
        sum: i64,
    },
    /// An account's stored balance differs from the sum of its entries.
    BalanceMismatch {
        /// Merchant, mode, currency and account, joined by `/`.
        account: String,
        /// Stored balance.
        stored: i64,
        /// Sum of entries.
        entries: i64,
    },
    /// The balance transactions do not add up to the ledger (or do not follow one another).
    BalanceTransactions {
        /// Merchant, mode and currency, joined by `/`.
        balance: String,
        /// What is wrong.
        problem: String,
    },
    /// Held and reported money mixed: an `external` payment moved an account Kumbu holds, or
    /// something else moved a reported account.
    SplitBroken {
        /// The payment (or journal) that did.
        owner: String,
        /// The account.
        account: String,
        /// What its entries there sum to.
        sum: i64,
    },
}

impl StoreTx {
    /// Writes the journals' entries and moves the account balances by the same amounts.
    /// Account rows are updated in a fixed order so concurrent posters cannot deadlock.
    pub async fn post_journals(&mut self, journals: &[NewJournal]) -> Result<(), StoreError> {
        if journals.is_empty() {
            return Ok(());
        }
        let mut deltas: BTreeMap<(String, &'static str, &'static str, &'static str), i64> =
            BTreeMap::new();
        let mut rows = Vec::new();
        for j in journals {
            for p in &j.postings {
                *deltas
                    .entry((
                        j.merchant_id.clone(),
                        j.mode.as_str(),
                        j.currency.code(),
                        p.account.as_str(),
                    ))
                    .or_default() += p.amount;
                rows.push(vec![
                    Value::Text(j.id.clone()),
                    Value::Text(j.kind.as_str().to_owned()),
                    Value::OptText(j.payment_id.clone()),
                    Value::OptText(j.refund_id.clone()),
                    Value::OptText(j.payout_id.clone()),
                    Value::Text(j.merchant_id.clone()),
                    Value::Text(j.mode.as_str().to_owned()),
                    Value::Text(j.currency.code().to_owned()),
                    Value::Text(p.account.as_str().to_owned()),
                    Value::Int(p.amount),
                    Value::Int(j.created_at.as_micros()),
                ]);
            }
        }
        insert_rows(
            self.dialect,
            self.tx(),
            "ledger_entries",
            &[
                "journal_id",
                "journal_kind",
                "payment_id",
                "refund_id",
                "payout_id",
                "merchant_id",
                "mode",
                "currency",
                "account",
                "amount",
                "created_at",
            ],
            rows,
            "",
        )
        .await?;
        self.post_balance(journals).await?;
        let accounts = deltas
            .into_iter()
            .filter(|(_, d)| *d != 0)
            .map(|((m, mode, cur, acct), d)| {
                vec![
                    Value::Text(m),
                    Value::Text(mode.to_owned()),
                    Value::Text(cur.to_owned()),
                    Value::Text(acct.to_owned()),
                    Value::Int(d),
                ]
            })
            .collect();
        insert_rows(
            self.dialect,
            self.tx(),
            "ledger_accounts",
            &["merchant_id", "mode", "currency", "account", "balance"],
            accounts,
            " ON CONFLICT (merchant_id, mode, currency, account) \
              DO UPDATE SET balance = ledger_accounts.balance + excluded.balance",
        )
        .await
    }
}

impl Store {
    /// A payment's postings, oldest first (`ledger_entries_payment`, migration 0022).
    pub async fn payment_postings(
        &self,
        merchant_id: &str,
        mode: Mode,
        payment_id: &str,
    ) -> Result<Vec<PaymentPosting>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT journal_kind, refund_id, account, amount, currency, created_at FROM ledger_entries \
             WHERE payment_id = $1 AND merchant_id = $2 AND mode = $3 \
             ORDER BY created_at, journal_id, amount DESC, account",
        )
        .bind(payment_id)
        .bind(merchant_id)
        .bind(mode.as_str())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get("journal_kind")?;
                let account: String = r.try_get("account")?;
                let currency: String = r.try_get("currency")?;
                Ok(PaymentPosting {
                    kind: JournalKind::parse(&kind)
                        .ok_or_else(|| corrupt("journal kind", &kind))?,
                    refund_id: r.try_get("refund_id")?,
                    account: Account::parse(&account)
                        .ok_or_else(|| corrupt("account", &account))?,
                    amount: r.try_get("amount")?,
                    currency: Currency::parse(&currency)
                        .map_err(|_| corrupt("currency", &currency))?,
                    at: Timestamp::from_micros(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    /// A merchant's account balances in one mode.
    pub async fn balances(
        &self,
        merchant_id: &str,
        mode: Mode,
    ) -> Result<Vec<BalanceRow>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT currency, account, balance FROM ledger_accounts \
             WHERE merchant_id = $1 AND mode = $2 ORDER BY currency, account",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let c: String = r.try_get("currency")?;
                let a: String = r.try_get("account")?;
                Ok(BalanceRow {
                    currency: Currency::parse(&c).map_err(|_| corrupt("currency", &c))?,
                    account: Account::parse(&a).ok_or_else(|| corrupt("account", &a))?,
                    balance: r.try_get("balance")?,
                })
            })
            .collect()
    }

    /// Checks every journal balances per currency, every account equals the sum of its
    /// entries, and held and reported money stay apart. Returns the problems found (empty means the ledger is sound) and how many
    /// entries were checked.
    pub async fn verify_ledger(&self) -> Result<(Vec<LedgerProblem>, i64), StoreError> {
        let mut problems = Vec::new();
        let rows = sqlx::query::<Any>(
            "SELECT journal_id, currency, CAST(SUM(amount) AS BIGINT) AS total FROM ledger_entries \
             GROUP BY journal_id, currency HAVING SUM(amount) <> 0 ORDER BY journal_id",
        )
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            problems.push(LedgerProblem::UnbalancedJournal {
                journal_id: r.try_get("journal_id")?,
                currency: r.try_get("currency")?,
                sum: r.try_get("total")?,
            });
        }
        let rows = sqlx::query::<Any>(
            "SELECT k.merchant_id, k.mode, k.currency, k.account, \
                    CAST(COALESCE(a.balance, 0) AS BIGINT) AS stored, \
                    CAST(COALESCE(e.total, 0) AS BIGINT) AS entries \
             FROM (SELECT merchant_id, mode, currency, account FROM ledger_accounts \
                   UNION SELECT merchant_id, mode, currency, account FROM ledger_entries) k \
             LEFT JOIN ledger_accounts a ON a.merchant_id = k.merchant_id AND a.mode = k.mode \
                   AND a.currency = k.currency AND a.account = k.account \
             LEFT JOIN (SELECT merchant_id, mode, currency, account, SUM(amount) AS total \
                   FROM ledger_entries GROUP BY merchant_id, mode, currency, account) e \
                   ON e.merchant_id = k.merchant_id AND e.mode = k.mode \
                   AND e.currency = k.currency AND e.account = k.account \
             WHERE COALESCE(a.balance, 0) <> COALESCE(e.total, 0)",
        )
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let name = format!(
                "{}/{}/{}/{}",
                r.try_get::<String, _>("merchant_id")?,
                r.try_get::<String, _>("mode")?,
                r.try_get::<String, _>("currency")?,
                r.try_get::<String, _>("account")?
            );
            problems.push(LedgerProblem::BalanceMismatch {
                account: name,
                stored: r.try_get("stored")?,
                entries: r.try_get("entries")?,
            });
        }
        // Held and reported money apart: an external payment's entries on held accounts net to
        // zero (its reclassified postings from before the split included), and nothing else
        // touches the reported accounts.
        let reported: Vec<String> = Account::ALL
            .into_iter()
            .filter(|a| !a.is_held())
            .map(|a| format!("'{}'", a.as_str()))
            .collect();
        let reported = reported.join(", ");
        let split = format!(
            "SELECT COALESCE(e.payment_id, e.journal_id) AS owner, e.account, \
                    CAST(SUM(e.amount) AS BIGINT) AS total \
             FROM ledger_entries e LEFT JOIN payments p ON p.id = e.payment_id \
             WHERE (p.operator = 'external') <> (e.account IN ({reported})) \
                OR (p.operator IS NULL AND e.account IN ({reported})) \
             GROUP BY COALESCE(e.payment_id, e.journal_id), e.account \
             HAVING SUM(e.amount) <> 0 ORDER BY owner, e.account"
        );
        for r in sqlx::query::<Any>(&split).fetch_all(&self.read).await? {
            problems.push(LedgerProblem::SplitBroken {
                owner: r.try_get("owner")?,
                account: r.try_get("account")?,
                sum: r.try_get("total")?,
            });
        }
        for (balance, problem) in self.balance_problems().await? {
            problems.push(LedgerProblem::BalanceTransactions { balance, problem });
        }
        let n: i64 =
            sqlx::query_scalar::<Any, i64>("SELECT CAST(COUNT(*) AS BIGINT) FROM ledger_entries")
                .fetch_one(&self.read)
                .await?;
        Ok((problems, n))
    }

    /// Test helper for `ledger verify`: corrupts one account balance on purpose.
    #[doc(hidden)]
    pub async fn tamper_balance_for_tests(&self, delta: i64) -> Result<u64, StoreError> {
        let r = sqlx::query::<Any>(
            "UPDATE ledger_accounts SET balance = balance + $1 WHERE account = 'merchant_available'",
        )
        .bind(delta)
        .execute(&self.write)
        .await?;
        Ok(r.rows_affected())
    }
}
