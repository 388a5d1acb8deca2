//! Simiz payments: a payment is a checkout session paid on Kumbu's page.

use super::error::SmzError;
use super::views::SmzPayment;
use super::{currency, find, francs, invalid, required, Body, Caller, SmzList, MIN_AMOUNT};
use crate::compat::common::{metadata, paging, Paging};
use crate::native::payments::{query_pairs, record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{CheckoutSession, ErrorCode};
use kumbu_engine::CreateCheckoutSession;
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatePaymentBody {
    user_id: Option<String>,
    amount: Option<Value>,
    return_url: Option<String>,
    cancel_url: Option<String>,
    currency: Option<String>,
    description: Option<String>,
    metadata: Option<Value>,
}

fn payment_command(body: CreatePaymentBody) -> Result<CreateCheckoutSession, SmzError> {
    let user = required(&body.user_id, "userId")?;
    let user = uuid::Uuid::parse_str(user).map_err(|_| {
        invalid(
            "userId",
            "userId must be a UUID, e.g. 550e8400-e29b-41d4-a716-446655440000",
        )
    })?;
    let amount = francs(
        body.amount.as_ref().ok_or_else(|| {
            SmzError::new(
                ErrorCode::ParameterMissing,
                "amount is required",
                Some("amount"),
            )
        })?,
        "amount",
    )?;
    if amount < MIN_AMOUNT {
        return Err(SmzError::new(
            ErrorCode::AmountOutOfRange,
            format!("amount must be at least {MIN_AMOUNT}"),
            Some("amount"),
        ));
    }
    let return_url = required(&body.return_url, "returnUrl")?.to_owned();
    let cancel_url = required(&body.cancel_url, "cancelUrl")?.to_owned();
    let mut metadata = metadata(body.metadata.as_ref()).map_err(|m| invalid("metadata", m))?;
    metadata.insert("simiz_user_id".to_owned(), user.to_string());
    Ok(CreateCheckoutSession {
        amount: Some(amount),
        currency: currency(body.currency.as_deref())?,
        items: Vec::new(),
        operators: Vec::new(),
        return_url,
        cancel_url: Some(cancel_url),
        expires_in_minutes: None,
        locale: None,
        customer_name: None,
        customer_phone: None,
        customer_id: None,
        description: body.description,
        metadata,
    })
}

fn payment_view(state: &AppState, s: &CheckoutSession) -> SmzPayment {
    SmzPayment::of(s, &state.public_url, kumbu_engine::payer_name(s))
}

pub(super) async fn create_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Body(idem, body): Body<CreatePaymentBody>,
) -> Result<Response, SmzError> {
    let cmd = payment_command(body)?;
    let base = state.public_url.clone();
    let outcome = state
        .engine
        .create_checkout_session(&auth, cmd, idem.as_ref(), |s| {
            record(200, &SmzPayment::of(s, &base, None))
        })
        .await?;
    Ok(respond(outcome))
}

pub(super) async fn get_payment(
    State(state): State<AppState>,
    Caller(auth): Caller,
    Path(token): Path<String>,
    RawQuery(query): RawQuery,
) -> Result<Json<SmzPayment>, SmzError> {
    for (k, _) in query_pairs(query.as_deref())? {
        // `expand` is accepted; the payment already carries what Kumbu knows of its payer.
        if k != "expand" {
            return Err(invalid(&k, format!("`{k}` is not a known parameter")));
        }
    }
    let s = find(&state, &auth, &token).await?;
    Ok(Json(payment_view(&state, &s)))
}

pub(super) async fn list_payments(
    State(state): State<AppState>,
    Caller(auth): Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<SmzList<SmzPayment>>, SmzError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = paging(query_pairs(query.as_deref())?, 10, 100).map_err(|(p, m)| invalid(&p, m))?;
    if let Some((k, _)) = rest.first() {
        return Err(invalid(k, format!("`{k}` is not a known parameter")));
    }
    let after = match starting_after {
        Some(a) => Some(find(&state, &auth, &a).await?.id),
        None => None,
    };
    let (sessions, has_more) = state
        .engine
        .list_checkout_sessions(&auth, &[], after.as_deref(), limit)
        .await?;
    Ok(Json(SmzList {
        data: sessions.iter().map(|s| payment_view(&state, s)).collect(),
        has_more,
    }))
}
