//! `/v1/payouts`: money from the merchant's available balance to a mobile wallet.

use crate::error::invalid;
use crate::error::ErrorEnvelope;
use crate::error::NativeError;
use crate::extract::{Auth, Command, PathId};
use crate::native::parse::{minor_units, parse_operator};
use crate::query::{query_pairs, Paging};
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{Currency, ErrorCode, Msisdn, Payout};
use kumbu_engine::CreatePayout;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Who is paid.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayeeBody {
    /// E.164 phone number of the wallet, e.g. +2250500000789.
    #[schema(example = "+2250500000789")]
    #[schema(value_type = crate::openapi::vocab::Phone)]
    pub phone: String,
    /// The wallet's operator (`GET /v1/operators`), e.g. mtn_ci.
    #[schema(example = "mtn_ci")]
    #[schema(value_type = crate::openapi::vocab::Operator)]
    pub operator: String,
}

/// A payout request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreatePayoutBody {
    /// Amount in the currency's minor unit; at most the available balance.
    #[schema(value_type = i64, example = 5000)]
    pub amount: serde_json::Number,
    /// ISO 4217 code.
    #[schema(example = "XOF")]
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: String,
    /// Who is paid.
    #[serde(deserialize_with = "crate::extract::object::required")]
    pub payee: PayeeBody,
    /// Your own id for it; unique per merchant and mode (at most 128 characters).
    #[schema(schema_with = crate::openapi::vocab::field::reference)]
    pub reference: Option<String>,
    /// What the payee's wallet shows (at most 160 characters).
    #[schema(schema_with = crate::openapi::vocab::field::text_160)]
    pub description: Option<String>,
    /// Up to 50 string key-value pairs.
    #[schema(value_type = Option<crate::openapi::vocab::Metadata>)]
    pub metadata: Option<BTreeMap<String, String>>,
}

/// Who was paid.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayeeView {
    /// E.164.
    pub phone: String,
    /// Operator code.
    pub operator: String,
}

/// A payout.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutView {
    /// `po_…`
    pub id: String,
    /// Always `payout`.
    pub object: &'static str,
    /// `pending`, `processing`, `succeeded` or `failed`.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    /// The gateway's fee on it, minor units, taken from the balance with the amount (your price
    /// for payouts on the operator; 0 unless set) and given back if the payout fails.
    pub fee: i64,
    /// Currency.
    pub currency: String,
    /// Who is paid.
    pub payee: PayeeView,
    /// Your reference.
    pub reference: Option<String>,
    /// As given.
    pub description: Option<String>,
    /// As given.
    pub metadata: BTreeMap<String, String>,
    /// The operator's id for the transfer (MTN: its `X-Reference-Id`).
    pub operator_reference: Option<String>,
    /// Why it failed (e.g. PAYER_NOT_FOUND).
    pub failure_code: Option<String>,
    /// In words.
    pub failure_message: Option<String>,
    /// The operator's own code.
    pub operator_code: Option<String>,
    /// `true` in live mode.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// RFC 3339.
    pub updated_at: String,
}

impl From<&Payout> for PayoutView {
    fn from(p: &Payout) -> Self {
        Self {
            id: p.id.clone(),
            object: "payout",
            status: p.status.as_str().to_owned(),
            amount: p.amount,
            fee: p.fee,
            currency: p.currency.code().to_owned(),
            payee: PayeeView {
                phone: p.payee_phone.to_string(),
                operator: p.operator.code().to_owned(),
            },
            reference: p.reference.clone(),
            description: p.description.clone(),
            metadata: p.metadata.clone(),
            operator_reference: p.operator_reference.clone(),
            failure_code: p.failure_code.map(|c| c.as_str().to_owned()),
            failure_message: p.failure_message.clone(),
            operator_code: p.operator_code.clone(),
            livemode: p.mode.is_live(),
            created_at: p.created_at.to_rfc3339(),
            updated_at: p.updated_at.to_rfc3339(),
        }
    }
}

/// A page of payouts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PayoutList {
    /// Always `list`.
    pub object: &'static str,
    /// Newest first.
    pub data: Vec<PayoutView>,
    /// Whether older ones follow.
    pub has_more: bool,
}

fn to_command(body: CreatePayoutBody) -> Result<CreatePayout, NativeError> {
    Ok(CreatePayout {
        amount: minor_units(&body.amount)?,
        currency: Currency::parse(&body.currency)
            .map_err(|e| invalid(ErrorCode::CurrencyNotSupported, "currency", e.to_string()))?,
        operator: parse_operator(&body.payee.operator, "payee.operator")?,
        payee_phone: Msisdn::parse(&body.payee.phone)
            .map_err(|e| invalid(ErrorCode::PhoneInvalid, "payee.phone", e.to_string()))?,
        reference: body.reference,
        description: body.description,
        metadata: body.metadata.unwrap_or_default(),
    })
}

/// Pay out to a mobile wallet from the available balance. Test keys pay out through the
/// sandbox (the payee's number chooses the outcome); live keys through the operator.
#[utoipa::path(post, path = "/v1/payouts", tag = "payouts",
    request_body = CreatePayoutBody,
    params(("Idempotency-Key" = Option<crate::openapi::vocab::IdempotencyKey>, Header, description = "A retry returns the same payout")),
    responses((status = 200, body = PayoutView), (status = 400, body = ErrorEnvelope),
              (status = 401, body = ErrorEnvelope), (status = 409, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn create_payout(
    State(state): State<AppState>,
    Auth(auth): Auth,
    Command(idem, body): Command<CreatePayoutBody>,
) -> Result<Response, NativeError> {
    let cmd = to_command(body)?;
    let outcome = state
        .engine
        .create_payout(&auth, cmd, idem.as_ref(), |p| {
            record(200, &PayoutView::from(p))
        })
        .await?;
    Ok(respond(outcome))
}

/// Retrieve a payout.
#[utoipa::path(get, path = "/v1/payouts/{id}", tag = "payouts",
    params(("id" = String, Path, description = "po_…")),
    responses((status = 200, body = PayoutView), (status = 404, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn get_payout(
    State(state): State<AppState>,
    Auth(auth): Auth,
    PathId(id): PathId,
) -> Result<Json<PayoutView>, NativeError> {
    Ok(Json(PayoutView::from(
        &state.engine.payout(&auth, &id).await?,
    )))
}

/// List payouts, newest first.
#[utoipa::path(get, path = "/v1/payouts", tag = "payouts",
    params(("limit" = Option<u32>, Query, description = "1 to 100, default 20", minimum = 1, maximum = 100),
           ("starting_after" = Option<String>, Query, description = "the last id of the previous page", min_length = 1)),
    responses((status = 200, body = PayoutList), (status = 400, body = ErrorEnvelope)),
    security(("bearer" = [])))]
pub async fn list_payouts(
    State(state): State<AppState>,
    Auth(auth): Auth,
    RawQuery(query): RawQuery,
) -> Result<Json<PayoutList>, NativeError> {
    let mut paging = Paging::default();
    for (k, v) in query_pairs(query.as_deref())? {
        if !paging.take(&k, &v)? {
            return Err(NativeError::new(
                ErrorCode::ParameterUnknown,
                format!("`{k}` is not a known parameter"),
                Some(&k),
            ));
        }
    }
    let (payouts, has_more) = state
        .engine
        .list_payouts(&auth, paging.starting_after.as_deref(), paging.limit)
        .await?;
    Ok(Json(PayoutList {
        object: "list",
        data: payouts.iter().map(PayoutView::from).collect(),
        has_more,
    }))
}
