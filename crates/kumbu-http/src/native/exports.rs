//! `/v1/exports/…`: CSV files of your balance transactions and payments for a period, streamed a
//! page of rows at a time, so a month of a large merchant never sits in memory.

use super::statements::{parse_month, unknown};
use crate::csv::{csv_field, csv_line, csv_response};
use crate::error::{invalid, ErrorEnvelope, NativeError};
use crate::extract::Auth;
use crate::query::query_pairs;
use crate::AppState;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, State};
use axum::response::Response;
use kumbu_core::period::{days, parse_day, Month, Span};
use kumbu_core::{BalanceTransaction, ErrorCode, Payment, Timestamp};
use kumbu_engine::{AuthContext, Engine};

/// Rows read per page of an export.
const EXPORT_PAGE: u32 = 1_000;

/// The span an export asks for: `month=YYYY-MM`, or `from` and `to` (days, both included; `from`
/// alone runs to today, `to` alone from the first of its month); nothing: this month (UTC).
fn export_span(query: Option<&str>, now: Timestamp) -> Result<Span, NativeError> {
    let (mut month, mut from, mut to) = (None, None, None);
    let day = |k: &str, v: &str| {
        parse_day(v).ok_or_else(|| {
            invalid(
                ErrorCode::ParameterInvalid,
                k,
                format!("{k} `{v}` is not a day: write YYYY-MM-DD, e.g. 2026-11-30"),
            )
        })
    };
    for (k, v) in query_pairs(query)? {
        match k.as_str() {
            "month" => month = Some(parse_month(&v)?),
            "from" => from = Some(day("from", &v)?),
            "to" => to = Some(day("to", &v)?),
            _ => return Err(unknown(&k)),
        }
    }
    let today = || kumbu_core::period::day_of(now);
    match (month, from, to) {
        (Some(m), None, None) => Ok(m.span()),
        (Some(_), _, _) => Err(invalid(
            ErrorCode::ParameterInvalid,
            "month",
            "give either month, or from and to, not both",
        )),
        (None, None, None) => Ok(Month::of(now).span()),
        (None, from, to) => {
            // The parameter the client sent is the one named when the days are the wrong way.
            let named = if to.is_some() { "to" } else { "from" };
            let to = to.unwrap_or_else(today);
            let from = from.unwrap_or_else(|| to.replace_day(1).unwrap_or(to));
            days(from, to).ok_or_else(|| {
                invalid(
                    ErrorCode::ParameterInvalid,
                    named,
                    format!("to ({to}) is before from ({from})"),
                )
            })
        }
    }
}

/// What an export holds.
#[derive(Debug, Clone, Copy)]
enum Export {
    /// `/v1/exports/balance_transactions`.
    BalanceTransactions,
    /// `/v1/exports/payments`.
    Payments,
}

impl Export {
    /// Its CSV header line.
    const fn header(self) -> &'static str {
        match self {
            Export::BalanceTransactions => "id,type,source,payment,currency,amount,fee,net,balance_after,number,status,available_on,created_at\r\n",
            Export::Payments => "id,created_at,status,amount,fee,amount_refunded,currency,operator,payer_phone,reference,operator_reference,failure_code,face\r\n",
        }
    }

    /// The file's name for `span`.
    fn file_name(self, span: Span) -> String {
        let what = match self {
            Export::BalanceTransactions => "balance",
            Export::Payments => "payments",
        };
        // Named by its first and last days (its end is the first instant after it).
        let last = span.to.minus(std::time::Duration::from_micros(1));
        format!(
            "kumbu-{what}-{}-{}.csv",
            &span.from.to_rfc3339()[..10],
            &last.to_rfc3339()[..10]
        )
    }

    /// The next page's rows, rendered, and where the page after starts.
    async fn page(
        self,
        engine: &Engine,
        auth: &AuthContext,
        span: Span,
        after: Option<(Timestamp, i64)>,
    ) -> Result<(String, usize, Option<(Timestamp, i64)>), kumbu_engine::EngineError> {
        let mut out = String::new();
        match self {
            Export::BalanceTransactions => {
                let (rows, next) = engine
                    .balance_transactions_page(auth, span, after, EXPORT_PAGE)
                    .await?;
                out.reserve(rows.len() * 160);
                rows.iter().for_each(|t| transaction_row(&mut out, t));
                Ok((out, rows.len(), next))
            }
            Export::Payments => {
                let (rows, next) = engine.payments_page(auth, span, after, EXPORT_PAGE).await?;
                out.reserve(rows.len() * 200);
                rows.iter().for_each(|p| payment_row(&mut out, p));
                Ok((out, rows.len(), next))
            }
        }
    }

    /// The CSV download of `span`, streamed a page at a time.
    fn respond(self, engine: Engine, auth: AuthContext, span: Span) -> Response {
        let body = futures_util::stream::unfold(Cursor::Start, move |cursor| {
            let (engine, auth) = (engine.clone(), auth.clone());
            async move { self.next(&engine, &auth, span, cursor).await }
        });
        csv_response(&self.file_name(span), Body::from_stream(body))
    }

    /// The next chunk: the header first, then a page of rows; `None` when done. A failure ends
    /// the body abnormally (no final chunk), so the client sees a broken download, not a short
    /// file that looks whole.
    async fn next(
        self,
        engine: &Engine,
        auth: &AuthContext,
        span: Span,
        cursor: Cursor,
    ) -> Option<(Result<Bytes, std::io::Error>, Cursor)> {
        let after = match cursor {
            Cursor::Start => {
                let header = Bytes::from_static(self.header().as_bytes());
                return Some((Ok(header), Cursor::Rows(None)));
            }
            Cursor::Rows(after) => after,
            Cursor::Done => return None,
        };
        match self.page(engine, auth, span, after).await {
            Ok((_, 0, _)) => None,
            Ok((out, _, next)) => {
                let cursor = next.map_or(Cursor::Done, |n| Cursor::Rows(Some(n)));
                Some((Ok(Bytes::from(out)), cursor))
            }
            Err(e) => {
                tracing::error!(error = %e, export = ?self, "an export failed part-way");
                Some((
                    Err(std::io::Error::other("the export failed")),
                    Cursor::Done,
                ))
            }
        }
    }
}

/// Where an export stands between two chunks.
enum Cursor {
    /// The header is next.
    Start,
    /// Rows are next, after this one (`None`: from the start of the period).
    Rows(Option<(Timestamp, i64)>),
    /// Nothing more.
    Done,
}

fn transaction_row(out: &mut String, t: &BalanceTransaction) {
    let (amount, fee, net, after, number) = (
        t.amount.to_string(),
        t.fee.to_string(),
        t.net.to_string(),
        t.balance_after.to_string(),
        t.number.to_string(),
    );
    let available = t
        .available_on
        .map(Timestamp::to_rfc3339)
        .unwrap_or_default();
    let created = t.created_at.to_rfc3339();
    csv_line(
        out,
        &[
            &csv_field(&t.id),
            t.kind.as_str(),
            &csv_field(&t.source_id),
            &csv_field(t.payment_id.as_deref().unwrap_or_default()),
            t.currency.code(),
            &amount,
            &fee,
            &net,
            &after,
            &number,
            if t.available_on.is_some() {
                "available"
            } else {
                "pending"
            },
            &available,
            &created,
        ],
    );
}

fn payment_row(out: &mut String, p: &Payment) {
    let text = |v: Option<&str>| csv_field(v.unwrap_or_default());
    let phone = p.payer_phone.as_ref().map(ToString::to_string);
    csv_line(
        out,
        &[
            &csv_field(&p.id),
            &p.created_at.to_rfc3339(),
            p.status.as_str(),
            &p.amount.to_string(),
            &p.fee.to_string(),
            &p.amount_refunded.to_string(),
            p.currency.code(),
            p.operator.code(),
            // An E.164 number (checked when the payment was made): `+` and digits, never a
            // formula; written as it is, like the amounts.
            phone.as_deref().unwrap_or_default(),
            &text(p.reference.as_deref()),
            &text(p.operator_reference.as_deref()),
            p.failure_code.map(|c| c.as_str()).unwrap_or_default(),
            p.face.map(|f| f.as_str()).unwrap_or_default(),
        ],
    );
}

/// Your balance transactions of a period as CSV, oldest first (amounts in minor units).
#[utoipa::path(get, path = "/v1/exports/balance_transactions", tag = "books",
    params(("month" = Option<crate::openapi::vocab::Month>, Query, description = "YYYY-MM (UTC); or from and to; neither: this month"),
           ("from" = Option<crate::openapi::vocab::Day>, Query, description = "first day, YYYY-MM-DD (UTC); alone: up to today"),
           ("to" = Option<crate::openapi::vocab::Day>, Query, description = "last day, included, YYYY-MM-DD (UTC); alone: from the first of its month")),
    responses((status = 200, description = "CSV, one row per balance transaction", content_type = "text/csv", body = String),
              (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn export_balance_transactions(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Response, NativeError> {
    let span = export_span(query.as_deref(), state.engine.now())?;
    Ok(Export::BalanceTransactions.respond(state.engine.clone(), auth, span))
}

/// Your payments created in a period as CSV, oldest first, every status (amounts in minor units).
#[utoipa::path(get, path = "/v1/exports/payments", tag = "books",
    params(("month" = Option<crate::openapi::vocab::Month>, Query, description = "YYYY-MM (UTC); or from and to; neither: this month"),
           ("from" = Option<crate::openapi::vocab::Day>, Query, description = "first day, YYYY-MM-DD (UTC); alone: up to today"),
           ("to" = Option<crate::openapi::vocab::Day>, Query, description = "last day, included, YYYY-MM-DD (UTC); alone: from the first of its month")),
    responses((status = 200, description = "CSV, one row per payment", content_type = "text/csv", body = String),
              (status = 400, body = ErrorEnvelope), (status = 401, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn export_payments(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Response, NativeError> {
    let span = export_span(query.as_deref(), state.engine.now())?;
    Ok(Export::Payments.respond(state.engine.clone(), auth, span))
}
