//! The merchant's books: its balance transactions (one by id, a listing, a period a page at a
//! time for exports) and monthly statements per currency that add up to the ledger.

use crate::{AuthContext, Engine, EngineError};
use kumbu_core::ids::has_shape;
use kumbu_core::period::{Month, Span};
use kumbu_core::{BalanceTransaction, Currency, IdPrefix, Payment, StatementLine, Timestamp};
use kumbu_store::BalanceFilter;

/// A month's statement in one currency: the balance at its start, its movements by type, and
/// the balance at its end (`closing = opening + Σ net`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The month.
    pub month: Month,
    /// Its currency.
    pub currency: Currency,
    /// Its span.
    pub span: Span,
    /// What Kumbu owed the merchant at its start.
    pub opening: i64,
    /// The movements, by type.
    pub lines: Vec<StatementLine>,
    /// What Kumbu owed the merchant at its end.
    pub closing: i64,
}

/// A page of an export: rows, and where the next page starts (`None`: the last).
pub type ExportPage<T> = (Vec<T>, Option<(Timestamp, i64)>);

/// The page of `rows` read with `limit`: a full page may have more after it.
fn export_page<T>(
    rows: Vec<(T, i64)>,
    limit: u32,
    created_at: fn(&T) -> Timestamp,
) -> ExportPage<T> {
    let next = (rows.len() == limit as usize)
        .then(|| rows.last().map(|(t, seq)| (created_at(t), *seq)))
        .flatten();
    (rows.into_iter().map(|(t, _)| t).collect(), next)
}

impl Engine {
    /// One of the caller's balance transactions.
    pub async fn balance_transaction(
        &self,
        auth: &AuthContext,
        id: &str,
    ) -> Result<BalanceTransaction, EngineError> {
        if !has_shape(id, IdPrefix::BalanceTransaction) {
            return Err(EngineError::not_found("balance transaction", id));
        }
        self.store()
            .balance_transaction(&auth.merchant_id, auth.mode, id)
            .await?
            .ok_or_else(|| EngineError::not_found("balance transaction", id))
    }

    /// A newest-first page of the caller's balance transactions.
    pub async fn list_balance_transactions(
        &self,
        auth: &AuthContext,
        filter: &BalanceFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<BalanceTransaction>, bool), EngineError> {
        let what = "balance transactions";
        EngineError::check_cursor(starting_after, IdPrefix::BalanceTransaction, what)?;
        self.store()
            .list_balance_transactions(
                (&auth.merchant_id, auth.mode),
                filter,
                starting_after,
                limit.clamp(1, 100),
            )
            .await?
            .ok_or_else(|| EngineError::unknown_cursor(what, starting_after.unwrap_or_default()))
    }

    /// The caller's statements of `month`: one per currency it has a balance in (or only
    /// `currency`'s).
    pub async fn statements(
        &self,
        auth: &AuthContext,
        month: Month,
        currency: Option<Currency>,
    ) -> Result<Vec<Statement>, EngineError> {
        let owner = (auth.merchant_id.as_str(), auth.mode);
        let currencies = match currency {
            Some(c) => vec![c],
            None => self.store().balance_currencies(owner).await?,
        };
        let span = month.span();
        let mut out = Vec::with_capacity(currencies.len());
        for currency in currencies {
            let opening = self
                .store()
                .balance_before(owner, currency, span.from)
                .await?;
            let lines = self
                .store()
                .statement_lines(owner, currency, (span.from, span.to))
                .await?;
            let closing = opening + lines.iter().map(|l| l.net).sum::<i64>();
            out.push(Statement {
                month,
                currency,
                span,
                opening,
                lines,
                closing,
            });
        }
        Ok(out)
    }

    /// One page (at most `limit`) of the caller's balance transactions posted in `span`, oldest
    /// first, after `after` (from the previous page).
    pub async fn balance_transactions_page(
        &self,
        auth: &AuthContext,
        span: Span,
        after: Option<(Timestamp, i64)>,
        limit: u32,
    ) -> Result<ExportPage<BalanceTransaction>, EngineError> {
        let limit = limit.clamp(1, 10_000);
        let rows = self
            .store()
            .balance_transactions_between(
                (&auth.merchant_id, auth.mode),
                (span.from, span.to),
                after,
                limit,
            )
            .await?;
        Ok(export_page(rows, limit, |t| t.created_at))
    }

    /// One page (at most `limit`) of the caller's payments created in `span`, oldest first,
    /// after `after` (from the previous page), without their history.
    pub async fn payments_page(
        &self,
        auth: &AuthContext,
        span: Span,
        after: Option<(Timestamp, i64)>,
        limit: u32,
    ) -> Result<ExportPage<Payment>, EngineError> {
        let limit = limit.clamp(1, 10_000);
        let rows = self
            .store()
            .payments_between(
                (&auth.merchant_id, auth.mode),
                (span.from, span.to),
                after,
                limit,
            )
            .await?;
        Ok(export_page(rows, limit, |p| p.created_at))
    }
}
