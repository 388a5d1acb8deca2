//! PlexosPay checkout sessions (`/v1/checkout/sessions`): a Kumbu checkout session in
//! PlexosPay's words. `completionUrl` is where the customer goes after paying (`returnUrl` when
//! absent); `returnUrl` is where a customer who gives up goes back to.

use super::error::{PxError, PxErrorBody};
use super::views::{PxList, PAYMENT_PREFIX};
use super::{invalid, list_query, openapi, Body, Caller, Idempotent, ListParams};
use crate::compat::common::{face_id, metadata, minor_units, Paging};
use crate::reply::{record, respond};
use crate::urls::PublicUrl;
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{CheckoutSession, CheckoutStatus, Currency, ErrorCode, LineItem};
use kumbu_engine::CreateCheckoutSession;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// The currency a checkout page collects (AOA is collected by Multicaixa reference, not on a
/// page).
pub const SESSION_CURRENCY: Currency = Currency::Cve;

/// A session status in PlexosPay's words (it knows no "cancelled": a session the customer
/// abandoned is as good as expired).
pub const fn session_status(s: CheckoutStatus) -> &'static str {
    match s {
        CheckoutStatus::Open => "OPEN",
        CheckoutStatus::Completed => "COMPLETED",
        CheckoutStatus::Expired | CheckoutStatus::Cancelled => "EXPIRED",
    }
}

/// The statuses a `?status=` filter names: every status `session_status` shows by that name.
fn statuses_named(name: &str) -> Option<&'static [CheckoutStatus]> {
    match name {
        "OPEN" => Some(&[CheckoutStatus::Open]),
        "COMPLETED" => Some(&[CheckoutStatus::Completed]),
        "EXPIRED" => Some(&[CheckoutStatus::Expired, CheckoutStatus::Cancelled]),
        _ => None,
    }
}

/// A line item as PlexosPay shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxItem {
    pub id: String,
    pub product_id: Option<String>,
    pub name: String,
    pub description: Option<String>,
    pub quantity: i64,
    #[schema(value_type = openapi::Centavos)]
    pub unit_price: String,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: &'static str,
}

/// A checkout session as PlexosPay shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PxCheckoutSession {
    /// `cs_…`
    pub id: String,
    /// The payment page to send the customer to.
    #[schema(format = "uri")]
    pub url: String,
    #[schema(value_type = openapi::Centavos)]
    pub amount: String,
    #[schema(value_type = crate::openapi::vocab::Currency)]
    pub currency: &'static str,
    #[schema(value_type = openapi::PxSessionStatus)]
    pub status: &'static str,
    /// Where a customer who gives up goes back to.
    pub return_url: Option<String>,
    /// Where the customer goes after paying.
    pub completion_url: String,
    pub customer_id: Option<String>,
    /// The `pi_…` that paid it.
    pub payment_intent_id: Option<String>,
    pub items: Vec<PxItem>,
    #[schema(value_type = openapi::ShownMetadata)]
    pub metadata: BTreeMap<String, String>,
    #[schema(value_type = openapi::DateTime)]
    pub expires_at: String,
    #[schema(value_type = openapi::DateTime)]
    pub created_at: String,
    #[schema(value_type = openapi::DateTime)]
    pub updated_at: String,
}

impl PxCheckoutSession {
    /// PlexosPay's view of `s`, its page under `base`.
    pub fn of(s: &CheckoutSession, base: &PublicUrl) -> Self {
        Self {
            id: s.id.clone(),
            url: base.checkout_page(&s.token),
            amount: minor_units(s.amount),
            currency: s.currency.code(),
            status: session_status(s.status),
            return_url: s.cancel_url.clone(),
            completion_url: s.return_url.clone(),
            customer_id: s.customer_id.clone(),
            payment_intent_id: s
                .payment_id
                .as_deref()
                .map(|p| face_id(p, "pay_", PAYMENT_PREFIX)),
            items: s
                .items
                .iter()
                .enumerate()
                .map(|(i, it)| PxItem {
                    id: format!("li_{}_{}", &s.id[3..], i + 1),
                    product_id: it.product_id.clone(),
                    name: it.name.clone(),
                    description: it.description.clone(),
                    quantity: it.quantity,
                    unit_price: minor_units(it.unit_amount),
                    currency: s.currency.code(),
                })
                .collect(),
            metadata: s.metadata.clone(),
            expires_at: s.expires_at.to_rfc3339(),
            created_at: s.created_at.to_rfc3339(),
            updated_at: s.updated_at.to_rfc3339(),
        }
    }
}

/// An integer of centavos, sent as a number or a string (PlexosPay shows amounts as strings).
fn centavos(v: &Value, param: &str) -> Result<i64, PxError> {
    let bad = || invalid(format!("{param} must be an integer number of centavos"));
    match v {
        Value::Number(n) => n.as_i64().ok_or_else(bad),
        Value::String(s) => s.trim().parse::<i64>().map_err(|_| bad()),
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => Err(bad()),
    }
}

/// `POST /v1/checkout/sessions`'s fields (documented whole by [`openapi::SessionRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreateSessionBody {
    #[schema(value_type = Option<openapi::SessionAmount>)]
    amount: Option<Value>,
    #[schema(value_type = Option<openapi::PxSessionCurrency>)]
    currency: Option<String>,
    items: Option<Vec<ItemBody>>,
    /// Where a customer who gives up goes back to (and where one who paid goes, without
    /// `completionUrl`).
    #[schema(value_type = Option<crate::openapi::vocab::RedirectUrl>)]
    return_url: Option<String>,
    /// Where the customer goes after paying.
    #[schema(value_type = Option<crate::openapi::vocab::RedirectUrl>)]
    completion_url: Option<String>,
    /// One of your customers (`cu_…`, from `POST /v1/customers`).
    customer_id: Option<String>,
    /// Shown to the customer.
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    #[schema(value_type = Option<openapi::SessionMinutes>)]
    expires_in_minutes: Option<u32>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// A line item.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct ItemBody {
    /// Your product id.
    #[schema(value_type = Option<openapi::Text500>)]
    product_id: Option<String>,
    #[schema(value_type = openapi::ItemName)]
    name: String,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    #[schema(value_type = Option<openapi::Quantity>)]
    quantity: Option<i64>,
    #[schema(value_type = openapi::UnitPrice)]
    unit_price: Value,
    /// The session's currency, if given.
    #[schema(value_type = Option<openapi::PxSessionCurrency>)]
    currency: Option<String>,
}

fn to_command(body: CreateSessionBody) -> Result<CreateCheckoutSession, PxError> {
    let currency = match body.currency.as_deref() {
        None => SESSION_CURRENCY,
        Some(c) if c == SESSION_CURRENCY.code() => SESSION_CURRENCY,
        Some(other) => {
            return Err(PxError::new(
                ErrorCode::CurrencyNotSupported,
                format!("currency must be CVE (no operator collects {other:?} by phone prompt)"),
            ))
        }
    };
    let mut items = Vec::new();
    for it in body.items.unwrap_or_default() {
        if it.currency.as_deref().is_some_and(|c| c != currency.code()) {
            return Err(invalid("every item's currency must be the session's"));
        }
        items.push(LineItem {
            name: it.name,
            quantity: it.quantity.unwrap_or(1),
            unit_amount: centavos(&it.unit_price, "items[].unitPrice")?,
            description: it.description,
            product_id: it.product_id,
        });
    }
    let completion = body
        .completion_url
        .clone()
        .or_else(|| body.return_url.clone())
        .ok_or_else(|| {
            PxError::new(
                ErrorCode::ParameterMissing,
                "completionUrl or returnUrl is required",
            )
        })?;
    Ok(CreateCheckoutSession {
        amount: body
            .amount
            .as_ref()
            .map(|a| centavos(a, "amount"))
            .transpose()?,
        currency,
        items,
        operators: Vec::new(),
        return_url: completion,
        cancel_url: body.return_url,
        expires_in_minutes: body.expires_in_minutes,
        locale: None,
        customer_name: None,
        customer_phone: None,
        customer_id: body.customer_id,
        description: body.description,
        metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
    })
}

/// Create a checkout session: a payment page to send the customer to.
#[utoipa::path(post, path = "/v1/checkout/sessions", tag = "checkout",
    params(Idempotent),
    request_body = openapi::SessionRequest,
    responses((status = 200, description = "The session, `OPEN`", body = PxCheckoutSession,
        links(
            ("GetSession" = (operation_id = "get_session", parameters(("id" = "$response.body#/id")))),
            ("ExpireSession" = (operation_id = "expire_session", parameters(("id" = "$response.body#/id"))))))))]
pub(super) async fn create_session(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreateSessionBody>,
) -> Result<Response, PxError> {
    let cmd = to_command(body)?;
    let base = state.public_url.clone();
    let outcome = state
        .engine
        .create_checkout_session(&auth, cmd, idem.as_ref(), |s| {
            record(200, &PxCheckoutSession::of(s, &base))
        })
        .await?;
    Ok(respond(outcome))
}

/// A checkout session.
#[utoipa::path(get, path = "/v1/checkout/sessions/{id}", tag = "checkout",
    params(("id" = String, Path, description = "`cs_…`")),
    responses((status = 200, description = "The session", body = PxCheckoutSession)))]
pub(super) async fn get_session(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxCheckoutSession>, PxError> {
    let s = state.engine.checkout_session(&auth, &id).await?;
    Ok(Json(PxCheckoutSession::of(&s, &state.public_url)))
}

/// Checkout sessions, newest first.
#[utoipa::path(get, path = "/v1/checkout/sessions", tag = "checkout",
    params(ListParams,
        ("status" = Option<openapi::PxSessionStatus>, Query, description = "Only sessions in this status")),
    responses((status = 200, description = "A page of sessions", body = PxList<PxCheckoutSession>,
        links(("GetSession" = (operation_id = "get_session", parameters(("id" = "$response.body#/data/0/id"))))))))]
pub(super) async fn list_sessions(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxCheckoutSession>>, PxError> {
    let Paging {
        limit,
        starting_after,
        rest,
    } = list_query(query.as_deref())?;
    let mut statuses: &[CheckoutStatus] = &[];
    for (k, v) in rest {
        match (k.as_str(), statuses_named(&v)) {
            ("status", Some(named)) => statuses = named,
            ("status", None) => return Err(invalid("status must be OPEN, COMPLETED or EXPIRED")),
            _ => return Err(invalid(format!("`{k}` is not a known parameter"))),
        }
    }
    let (list, has_more) = state
        .engine
        .list_checkout_sessions(&auth, statuses, starting_after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: list
            .iter()
            .map(|s| PxCheckoutSession::of(s, &state.public_url))
            .collect(),
        has_more,
    }))
}

/// Expire an open checkout session: its page no longer takes payment.
#[utoipa::path(post, path = "/v1/checkout/sessions/{id}/expire", tag = "checkout",
    params(("id" = String, Path, description = "`cs_…`"), Idempotent),
    responses(
        (status = 200, description = "The session, `EXPIRED` (expiring an expired one answers it as it is)", body = PxCheckoutSession,
            links(("GetSession" = (operation_id = "get_session", parameters(("id" = "$response.body#/id")))))),
        (status = 409, description = "The session is completed, or the customer is approving a payment on it", body = PxErrorBody)))]
pub(super) async fn expire_session(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Body { idem, .. }: Body<crate::extract::NoParams>,
) -> Result<Response, PxError> {
    let base = state.public_url.clone();
    // A session the customer cancelled is EXPIRED in PlexosPay's words: expiring it again is
    // answered as expiring an expired one is.
    let current = state.engine.checkout_session(&auth, &id).await?;
    if current.status == CheckoutStatus::Cancelled {
        return Ok(respond(kumbu_engine::Outcome {
            response: record(200, &PxCheckoutSession::of(&current, &base)),
            replayed: false,
        }));
    }
    match state
        .engine
        .expire_checkout_session(&auth, &id, idem.as_ref(), |s| {
            record(200, &PxCheckoutSession::of(s, &base))
        })
        .await
    {
        Ok(outcome) => Ok(respond(outcome)),
        // Cancelled by the customer meanwhile: expired, in PlexosPay's words.
        Err(e) if e.code() == ErrorCode::CheckoutSessionNotOpen => {
            let now = state.engine.checkout_session(&auth, &id).await?;
            if now.status == CheckoutStatus::Cancelled {
                Ok(respond(kumbu_engine::Outcome {
                    response: record(200, &PxCheckoutSession::of(&now, &base)),
                    replayed: false,
                }))
            } else {
                Err(e.into())
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// The webhook `data` of a session event (`checkout.completed`, `checkout.expired`).
pub fn webhook_data(s: &CheckoutSession, base: &PublicUrl) -> Option<Value> {
    serde_json::to_value(PxCheckoutSession::of(s, base)).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A session listed under the name it shows is found by filtering on that name, and only
    /// the sessions showing a name are found by it; `OPEN` is exactly the sessions still open.
    #[test]
    fn the_status_filter_finds_what_each_name_shows() {
        for s in CheckoutStatus::ALL {
            let name = session_status(s);
            let found = statuses_named(name).unwrap_or_else(|| panic!("{name} is not filterable"));
            assert!(found.contains(&s), "?status={name} misses {s:?}");
            for other in found {
                assert_eq!(
                    session_status(*other),
                    name,
                    "?status={name} finds {other:?}"
                );
            }
            assert_eq!(name == "OPEN", !s.is_terminal(), "{s:?} shows {name}");
        }
        assert_eq!(
            statuses_named("open"),
            None,
            "names are PlexosPay's, upper case"
        );
    }
}
