//! `/v1/balance_transactions` and `/v1/statements/{month}`: the books of your balance (their
//! CSV files are `exports.rs`).

use super::views::{BalanceTransactionList, BalanceTransactionView, StatementList, StatementView};
use crate::error::{invalid, ErrorEnvelope, NativeError};
use crate::extract::Auth;
use crate::query::{query_pairs, Paging};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::Json;
use kumbu_core::period::Month;
use kumbu_core::{BalanceType, Currency, ErrorCode};
use kumbu_engine::BalanceFilter;

pub(super) fn unknown(k: &str) -> NativeError {
    NativeError::new(
        ErrorCode::ParameterUnknown,
        format!("`{k}` is not a known parameter"),
        Some(k),
    )
}

fn currency(v: &str) -> Result<Currency, NativeError> {
    Currency::parse(v).map_err(|_| {
        invalid(
            ErrorCode::ParameterInvalid,
            "currency",
            format!("currency `{v}` is not one the gateway serves (CVE, AOA, MZN, XOF, XAF)"),
        )
    })
}

/// List your balance transactions, newest first.
#[utoipa::path(get, path = "/v1/balance_transactions", tag = "books",
    params(("limit" = Option<u32>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100),
           ("starting_after" = Option<String>, Query, description = "the last id of the previous page", min_length = 1),
           ("currency" = Option<crate::openapi::vocab::Currency>, Query, description = "only this currency's"),
           ("type" = Option<crate::openapi::vocab::BalanceType>, Query, description = "only this type's"),
           ("source" = Option<String>, Query, description = "only those of this payment (its refunds too), refund or payout", min_length = 1, max_length = 68)),
    responses((status = 200, body = BalanceTransactionList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_balance_transactions(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<BalanceTransactionList>, NativeError> {
    let mut paging = Paging::default();
    let mut filter = BalanceFilter::default();
    for (k, v) in query_pairs(query.as_deref())? {
        if paging.take(&k, &v)? {
            continue;
        }
        match k.as_str() {
            "currency" => filter.currency = Some(currency(&v)?),
            "type" => {
                filter.kind = Some(BalanceType::parse(&v).ok_or_else(|| {
                    invalid(
                        ErrorCode::ParameterInvalid,
                        "type",
                        format!("type `{v}` is not one of payment, refund, payout, payout_failure, adjustment"),
                    )
                })?);
            }
            "source" if (1..=68).contains(&v.len()) => filter.source_id = Some(v),
            "source" => {
                return Err(invalid(
                    ErrorCode::ParameterInvalid,
                    "source",
                    "source must be the id of a payment, refund or payout (1 to 68 characters)",
                ))
            }
            _ => return Err(unknown(&k)),
        }
    }
    let (rows, has_more) = state
        .engine
        .list_balance_transactions(
            &auth,
            &filter,
            paging.starting_after.as_deref(),
            paging.limit,
        )
        .await?;
    Ok(Json(BalanceTransactionList {
        object: "list",
        data: rows.iter().map(BalanceTransactionView::from).collect(),
        has_more,
    }))
}

/// One of your balance transactions.
#[utoipa::path(get, path = "/v1/balance_transactions/{id}", tag = "books",
    params(("id" = String, Path, description = "txn_…")),
    responses((status = 200, body = BalanceTransactionView), (status = 404, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_balance_transaction(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(id): Path<String>,
) -> Result<Json<BalanceTransactionView>, NativeError> {
    Ok(Json(BalanceTransactionView::from(
        &state.engine.balance_transaction(&auth, &id).await?,
    )))
}

/// A month's statement per currency: opening balance, movements by type, closing balance (UTC
/// months).
#[utoipa::path(get, path = "/v1/statements/{month}", tag = "books",
    params(("month" = crate::openapi::vocab::Month, Path, description = "YYYY-MM (UTC)"),
           ("currency" = Option<crate::openapi::vocab::Currency>, Query, description = "only this currency's")),
    responses((status = 200, body = StatementList), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_statements(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Path(month): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<StatementList>, NativeError> {
    let month = parse_month(&month)?;
    let mut only = None;
    for (k, v) in query_pairs(query.as_deref())? {
        match k.as_str() {
            "currency" => only = Some(currency(&v)?),
            _ => return Err(unknown(&k)),
        }
    }
    let statements = state.engine.statements(&auth, month, only).await?;
    Ok(Json(StatementList {
        object: "list",
        data: statements
            .iter()
            .map(|s| StatementView::new(s, auth.mode.is_live()))
            .collect(),
        has_more: false,
    }))
}

pub(super) fn parse_month(v: &str) -> Result<Month, NativeError> {
    Month::parse(v).ok_or_else(|| {
        invalid(
            ErrorCode::ParameterInvalid,
            "month",
            format!("month `{v}` is not a month: write YYYY-MM, e.g. 2026-11"),
        )
    })
}
