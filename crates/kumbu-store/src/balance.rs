//! Balance transactions (`kumbu_core::balance`): written with the journals that move a
//! merchant's balance, numbered under the currency's `balance_heads` row, and read as a listing,
//! an export (a period a page at a time, so a month of a large merchant never sits in memory) and
//! a statement.

use crate::connect::Store;
use crate::error::{corrupt, StoreError};
use crate::ledger::NewJournal;
use crate::sql::{insert_rows, Owned, Table, Value};
use crate::tx::StoreTx;
use kumbu_core::balance::{makes_available, movement, transaction_id};
use kumbu_core::ledger::Account;
use kumbu_core::{
    BalanceTransaction, BalanceType, Currency, Mode, Movement, StatementLine, Timestamp,
};
use sqlx::any::AnyRow;
use sqlx::{Any, Row};
use std::collections::BTreeMap;

const COLUMNS: &str = "id, merchant_id, mode, currency, number, type, source_id, payment_id, \
    amount, fee, net, balance_after, available_on, created_at, seq";

fn from_row(r: &AnyRow) -> Result<BalanceTransaction, StoreError> {
    let text = |c: &str| -> Result<String, StoreError> { Ok(r.try_get::<String, _>(c)?) };
    let (mode, currency, kind) = (text("mode")?, text("currency")?, text("type")?);
    let available_on: Option<i64> = r.try_get("available_on")?;
    Ok(BalanceTransaction {
        id: text("id")?,
        merchant_id: text("merchant_id")?,
        mode: Mode::parse(&mode).ok_or_else(|| corrupt("mode", &mode))?,
        currency: Currency::parse(&currency).map_err(|_| corrupt("currency", &currency))?,
        number: r.try_get("number")?,
        kind: BalanceType::parse(&kind).ok_or_else(|| corrupt("balance type", &kind))?,
        source_id: text("source_id")?,
        payment_id: r.try_get("payment_id")?,
        amount: r.try_get("amount")?,
        fee: r.try_get("fee")?,
        net: r.try_get("net")?,
        balance_after: r.try_get("balance_after")?,
        available_on: available_on.map(Timestamp::from_micros),
        created_at: Timestamp::from_micros(r.try_get("created_at")?),
    })
}

const TRANSACTIONS: Table<BalanceTransaction> = Table {
    name: "balance_transactions",
    columns: COLUMNS,
    from_row,
};

/// Which of a merchant's balance transactions to list.
#[derive(Debug, Clone, Default)]
pub struct BalanceFilter {
    /// Of one currency.
    pub currency: Option<Currency>,
    /// Of one type.
    pub kind: Option<BalanceType>,
    /// Of one payment, refund or payout (or, for a payment, its refunds too).
    pub source_id: Option<String>,
}

/// A journal's place in the balance: who it belongs to, and what it moves.
type Head = (String, &'static str, &'static str);

impl StoreTx {
    /// Locks the balance head of a merchant's currency (made if missing) until the transaction
    /// ends: what anything that will post to the merchant's balance takes first.
    pub(crate) async fn lock_balance_head(
        &mut self,
        merchant_id: &str,
        mode: Mode,
        currency: Currency,
    ) -> Result<(), StoreError> {
        sqlx::query::<Any>(
            "INSERT INTO balance_heads (merchant_id, mode, currency, number, balance) \
             VALUES ($1, $2, $3, 0, 0) ON CONFLICT (merchant_id, mode, currency) DO UPDATE \
             SET number = balance_heads.number",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(currency.code())
        .execute(&mut **self.tx())
        .await?;
        Ok(())
    }

    /// Writes the balance transactions of `journals` (those that move a merchant's balance), and
    /// marks available the payments they settle. Called by `post_journals` before it moves the
    /// accounts: every transaction that touches a merchant's balance accounts takes the
    /// currency's head row first, in one order, so posters wait for each other instead of
    /// deadlocking, and numbers and balances follow one another exactly.
    pub(crate) async fn post_balance(&mut self, journals: &[NewJournal]) -> Result<(), StoreError> {
        let mut heads: BTreeMap<Head, Vec<(&NewJournal, Movement)>> = BTreeMap::new();
        let mut available: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for j in journals {
            // A fee alone moves the balance's books too (a fee as large as the payment leaves
            // nothing to credit the merchant).
            let touches = j.postings.iter().any(|p| {
                matches!(
                    p.account,
                    Account::MerchantPending | Account::MerchantAvailable | Account::FeeRevenue
                )
            });
            if !touches {
                continue;
            }
            let moves = heads
                .entry((j.merchant_id.clone(), j.mode.as_str(), j.currency.code()))
                .or_default();
            if let Some(m) = movement(j.kind, &j.postings) {
                moves.push((j, m));
            }
            if let (true, Some(payment)) = (makes_available(j.kind), &j.payment_id) {
                available
                    .entry(j.created_at.as_micros())
                    .or_default()
                    .push(payment.clone());
            }
        }
        let mut rows = Vec::new();
        for ((merchant, mode, currency), moves) in heads {
            let count = i64::try_from(moves.len()).unwrap_or(i64::MAX);
            let total: i64 = moves.iter().map(|(_, m)| m.net).sum();
            // `last_at` is not set here, so RETURNING gives the head's time before these.
            let head = sqlx::query::<Any>(
                "INSERT INTO balance_heads (merchant_id, mode, currency, number, balance, last_at) \
                 VALUES ($1, $2, $3, $4, $5, 0) ON CONFLICT (merchant_id, mode, currency) DO UPDATE \
                 SET number = balance_heads.number + excluded.number, \
                     balance = balance_heads.balance + excluded.balance \
                 RETURNING number, balance, last_at",
            )
            .bind(&merchant)
            .bind(mode)
            .bind(currency)
            .bind(count)
            .bind(total)
            .fetch_one(&mut **self.tx())
            .await?;
            let (last, balance): (i64, i64) = (head.try_get("number")?, head.try_get("balance")?);
            let mut at: i64 = head.try_get("last_at")?;
            let (mut number, mut after) = (last - count, balance - total);
            for (j, m) in moves {
                number += 1;
                after += m.net;
                // Posted no earlier than the one before it: a poster's clock read before it
                // waited for the head must not put it before a transaction it follows, so that
                // time order and number order agree (statements, exports).
                at = at.max(j.created_at.as_micros());
                rows.push(vec![
                    Value::Text(transaction_id(&j.id)),
                    Value::Text(merchant.clone()),
                    Value::Text(mode.to_owned()),
                    Value::Text(currency.to_owned()),
                    Value::Int(number),
                    Value::Text(m.kind.as_str().to_owned()),
                    Value::Text(
                        j.refund_id
                            .clone()
                            .or_else(|| j.payout_id.clone())
                            .or_else(|| j.payment_id.clone())
                            .unwrap_or_else(|| j.id.clone()),
                    ),
                    Value::OptText(j.payment_id.clone()),
                    Value::Text(j.id.clone()),
                    Value::Int(m.amount),
                    Value::Int(m.fee),
                    Value::Int(m.net),
                    Value::Int(after),
                    Value::OptInt(m.available_now.then_some(at)),
                    Value::Int(at),
                ]);
            }
            if count > 0 {
                sqlx::query::<Any>(
                    "UPDATE balance_heads SET last_at = $4 \
                     WHERE merchant_id = $1 AND mode = $2 AND currency = $3",
                )
                .bind(&merchant)
                .bind(mode)
                .bind(currency)
                .bind(at)
                .execute(&mut **self.tx())
                .await?;
            }
        }
        insert_rows(
            self.dialect,
            self.tx(),
            "balance_transactions",
            &[
                "id",
                "merchant_id",
                "mode",
                "currency",
                "number",
                "type",
                "source_id",
                "payment_id",
                "journal_id",
                "amount",
                "fee",
                "net",
                "balance_after",
                "available_on",
                "created_at",
            ],
            rows,
            "",
        )
        .await?;
        for (at, payments) in available {
            for chunk in payments.chunks(1000) {
                let list: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
                let sql = format!(
                    "UPDATE balance_transactions SET available_on = $1 \
                     WHERE type = 'payment' AND available_on IS NULL AND payment_id IN ({})",
                    list.join(", ")
                );
                let mut q = sqlx::query::<Any>(&sql).bind(at);
                for p in chunk {
                    q = q.bind(p.clone());
                }
                q.execute(&mut **self.tx()).await?;
            }
        }
        Ok(())
    }
}

impl Store {
    /// One balance transaction of a merchant.
    pub async fn balance_transaction(
        &self,
        merchant_id: &str,
        mode: Mode,
        id: &str,
    ) -> Result<Option<BalanceTransaction>, StoreError> {
        TRANSACTIONS
            .owned(&self.read, (merchant_id, mode), id)
            .await
    }

    /// A newest-first page of a merchant's balance transactions after `starting_after`; `None`
    /// if that one is not the merchant's.
    pub async fn list_balance_transactions(
        &self,
        owner: (&str, Mode),
        filter: &BalanceFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<Option<(Vec<BalanceTransaction>, bool)>, StoreError> {
        let mut cond = Owned::by(owner);
        if let Some(c) = filter.currency {
            cond.and("currency =", Value::Text(c.code().to_owned()));
        }
        if let Some(k) = filter.kind {
            cond.and_literal(&format!("type = '{}'", k.as_str()));
        }
        if let Some(source) = &filter.source_id {
            cond.and_either("source_id", "payment_id", Value::Text(source.clone()));
        }
        TRANSACTIONS
            .page(self, owner, cond, starting_after, limit)
            .await
    }

    /// Up to `limit` of a merchant's balance transactions posted in `[from, to)`, oldest first,
    /// after the one at `after` (its `created_at` and `seq`, from the previous page's last).
    pub async fn balance_transactions_between(
        &self,
        owner: (&str, Mode),
        span: (Timestamp, Timestamp),
        after: Option<(Timestamp, i64)>,
        limit: u32,
    ) -> Result<Vec<(BalanceTransaction, i64)>, StoreError> {
        TRANSACTIONS
            .between(self, owner, span, after, ("", limit))
            .await
    }

    /// The merchant's balance in `currency` just before `at`: the net of every transaction
    /// posted earlier.
    pub async fn balance_before(
        &self,
        (merchant_id, mode): (&str, Mode),
        currency: Currency,
        at: Timestamp,
    ) -> Result<i64, StoreError> {
        Ok(sqlx::query_scalar::<Any, i64>(
            "SELECT CAST(COALESCE(SUM(net), 0) AS BIGINT) FROM balance_transactions \
             WHERE merchant_id = $1 AND mode = $2 AND currency = $3 AND created_at < $4",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(currency.code())
        .bind(at.as_micros())
        .fetch_one(&self.read)
        .await?)
    }

    /// The movements of `[from, to)` in `currency`, by type (types with none left out).
    pub async fn statement_lines(
        &self,
        (merchant_id, mode): (&str, Mode),
        currency: Currency,
        (from, to): (Timestamp, Timestamp),
    ) -> Result<Vec<StatementLine>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT type, CAST(COUNT(*) AS BIGINT) AS n, CAST(SUM(amount) AS BIGINT) AS amount, \
                    CAST(SUM(fee) AS BIGINT) AS fee, CAST(SUM(net) AS BIGINT) AS net \
             FROM balance_transactions \
             WHERE merchant_id = $1 AND mode = $2 AND currency = $3 \
               AND created_at >= $4 AND created_at < $5 GROUP BY type",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .bind(currency.code())
        .bind(from.as_micros())
        .bind(to.as_micros())
        .fetch_all(&self.read)
        .await?;
        let mut lines = rows
            .iter()
            .map(|r| {
                let kind: String = r.try_get("type")?;
                Ok(StatementLine {
                    kind: BalanceType::parse(&kind)
                        .ok_or_else(|| corrupt("balance type", &kind))?,
                    count: r.try_get("n")?,
                    amount: r.try_get("amount")?,
                    fee: r.try_get("fee")?,
                    net: r.try_get("net")?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        lines.sort_by_key(|l| l.kind);
        Ok(lines)
    }

    /// The currencies a merchant has a balance transaction in.
    pub async fn balance_currencies(
        &self,
        (merchant_id, mode): (&str, Mode),
    ) -> Result<Vec<Currency>, StoreError> {
        let rows = sqlx::query::<Any>(
            "SELECT currency FROM balance_heads WHERE merchant_id = $1 AND mode = $2 \
             ORDER BY currency",
        )
        .bind(merchant_id)
        .bind(mode.as_str())
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let c: String = r.try_get("currency")?;
                Currency::parse(&c).map_err(|_| corrupt("currency", &c))
            })
            .collect()
    }

    /// What `ledger verify` finds wrong with the balance transactions: per merchant, mode and
    /// currency, their nets, the head and the ledger's two balance accounts must agree, and
    /// each transaction's balance must follow from the one before it (numbers with no gap).
    pub(crate) async fn balance_problems(&self) -> Result<Vec<(String, String)>, StoreError> {
        let mut problems = Vec::new();
        let rows = sqlx::query::<Any>(
            "SELECT k.merchant_id, k.mode, k.currency, \
                    CAST(COALESCE(h.balance, 0) AS BIGINT) AS head, \
                    CAST(COALESCE(h.number, 0) AS BIGINT) AS head_number, \
                    CAST(COALESCE(t.total, 0) AS BIGINT) AS nets, \
                    CAST(COALESCE(t.n, 0) AS BIGINT) AS n, \
                    CAST(COALESCE(a.owed, 0) AS BIGINT) AS owed \
             FROM (SELECT merchant_id, mode, currency FROM balance_heads \
                   UNION SELECT merchant_id, mode, currency FROM ledger_accounts \
                   WHERE account IN ('merchant_pending', 'merchant_available')) k \
             LEFT JOIN balance_heads h ON h.merchant_id = k.merchant_id AND h.mode = k.mode \
                   AND h.currency = k.currency \
             LEFT JOIN (SELECT merchant_id, mode, currency, SUM(net) AS total, COUNT(*) AS n \
                   FROM balance_transactions GROUP BY merchant_id, mode, currency) t \
                   ON t.merchant_id = k.merchant_id AND t.mode = k.mode AND t.currency = k.currency \
             LEFT JOIN (SELECT merchant_id, mode, currency, -SUM(balance) AS owed \
                   FROM ledger_accounts WHERE account IN ('merchant_pending', 'merchant_available') \
                   GROUP BY merchant_id, mode, currency) a \
                   ON a.merchant_id = k.merchant_id AND a.mode = k.mode AND a.currency = k.currency",
        )
        .fetch_all(&self.read)
        .await?;
        for r in rows {
            let name = format!(
                "{}/{}/{}",
                r.try_get::<String, _>("merchant_id")?,
                r.try_get::<String, _>("mode")?,
                r.try_get::<String, _>("currency")?
            );
            let (head, head_number, nets, n, owed): (i64, i64, i64, i64, i64) = (
                r.try_get("head")?,
                r.try_get("head_number")?,
                r.try_get("nets")?,
                r.try_get("n")?,
                r.try_get("owed")?,
            );
            if nets != owed || head != owed {
                problems.push((
                    name.clone(),
                    format!(
                        "the balance transactions add up to {nets} and the head says {head}, \
                         but the ledger owes the merchant {owed}"
                    ),
                ));
            }
            if head_number != n {
                problems.push((
                    name,
                    format!("{n} balance transactions, but the head has numbered {head_number}"),
                ));
            }
        }
        let chain = sqlx::query::<Any>(
            "SELECT id, merchant_id, mode, currency FROM ( \
                SELECT id, merchant_id, mode, currency, number, balance_after, net, \
                       LAG(number) OVER w AS prev_number, LAG(balance_after) OVER w AS prev_after \
                FROM balance_transactions \
                WINDOW w AS (PARTITION BY merchant_id, mode, currency ORDER BY number)) c \
             WHERE number <> COALESCE(prev_number, 0) + 1 \
                OR balance_after - net <> COALESCE(prev_after, 0) \
             ORDER BY merchant_id, mode, currency, number LIMIT 100",
        )
        .fetch_all(&self.read)
        .await?;
        for r in chain {
            problems.push((
                format!(
                    "{}/{}/{}",
                    r.try_get::<String, _>("merchant_id")?,
                    r.try_get::<String, _>("mode")?,
                    r.try_get::<String, _>("currency")?
                ),
                format!(
                    "{}: its balance does not follow from the one before it",
                    r.try_get::<String, _>("id")?
                ),
            ));
        }
        Ok(problems)
    }

    /// Test helper for `ledger verify`: changes one balance transaction's net on purpose.
    #[doc(hidden)]
    pub async fn tamper_balance_transaction_for_tests(&self) -> Result<u64, StoreError> {
        let r = sqlx::query::<Any>(
            "UPDATE balance_transactions SET net = net - 1, fee = fee + 1 \
             WHERE id = (SELECT MAX(id) FROM balance_transactions)",
        )
        .execute(&self.write)
        .await?;
        Ok(r.rows_affected())
    }
}
