//! Simiz payments: a payment is a checkout session paid on Kumbu's page.

use super::error::{SmzError, SmzErrorBody};
use super::views::SmzPayment;
use super::{
    currency, find, francs, invalid, openapi, required, Body, Caller, Idempotent, SmzList,
    MIN_AMOUNT,
};
use crate::compat::common::{metadata, paging, Paging};
use crate::query::query_pairs;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{CheckoutSession, ErrorCode};
use kumbu_engine::CreateCheckoutSession;
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// `POST /v1/payments`'s fields (documented per currency by [`openapi::PaymentRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatePaymentBody {
    /// Your user's id: a UUID (kept as `metadata.simiz_user_id`).
    #[schema(value_type = openapi::UserId, required = true)]
    user_id: Option<String>,
    /// Whole francs (`5000` and `5000.0` are the same).
    #[schema(value_type = i64, required = true)]
    amount: Option<Value>,
    /// Where the customer goes after paying.
    #[schema(value_type = crate::openapi::vocab::RedirectUrl, required = true)]
    return_url: Option<String>,
    /// Where a customer who gives up goes back to.
    #[schema(value_type = crate::openapi::vocab::RedirectUrl, required = true)]
    cancel_url: Option<String>,
    #[schema(value_type = Option<openapi::SmzCurrency>)]
    currency: Option<String>,
    /// Shown to the customer.
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    #[schema(value_type = Option<openapi::PaymentMetadata>)]
    metadata: Option<Value>,
}

/// `GET /v1/payments/{token}`'s query.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "only its documentation is used: utoipa reads the fields into the document; handlers read the request themselves"
)]
struct Expand {
    /// Accepted and ignored: the payment already carries what is known of its payer.
    expand: Option<String>,
}

/// The paging of `GET /v1/payments`.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[expect(
    dead_code,
    reason = "only its documentation is used: utoipa reads the fields into the document; handlers read the request themselves"
)]
struct ListParams {
    /// How many, 1 to 100 (default 10).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// The `id` or `token` of the last payment of the previous page (one of yours: otherwise
    /// 404).
    starting_after: Option<String>,
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

/// Create a payment: send the customer to its `paymentUrl`, Kumbu's payment page.
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    params(Idempotent),
    request_body = openapi::PaymentRequest,
    responses(
        (status = 200, description = "The payment, `PENDING`", body = SmzPayment,
            links(
                ("GetPayment" = (operation_id = "get_payment", parameters(("token" = "$response.body#/token")))),
                ("CreateSession" = (operation_id = "create_session", parameters(("projectId" = "$response.body#/projectId")))))),
        (status = 409, description = "A request with this Idempotency-Key is in progress", body = SmzErrorBody)))]
pub(super) async fn create_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreatePaymentBody>,
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

/// A payment, by its `token` or its `id`.
#[utoipa::path(get, path = "/v1/payments/{token}", tag = "payments",
    params(("token" = String, Path, description = "The payment's `token` (`pay_…`) or `id` (a UUID)"), Expand),
    responses((status = 200, description = "The payment", body = SmzPayment)))]
pub(super) async fn get_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
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

/// Payments, newest first.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(ListParams),
    responses((status = 200, description = "A page of payments", body = SmzList<SmzPayment>)))]
pub(super) async fn list_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
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
