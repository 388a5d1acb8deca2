//! Simiz payments: a payment is a checkout session paid on Kumbu's page.

use super::bodies::CreatePaymentBody;
use super::error::{SmzError, SmzErrorBody};
use super::views::SmzPayment;
use super::{find, invalid, openapi, Body, Caller, Idempotent, SmzList};
use crate::compat::common::{paging, Paging};
use crate::query::query_pairs;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::CheckoutSession;
use kumbu_engine::CreateCheckoutSession;

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
    let cmd = CreateCheckoutSession::try_from(body)?;
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
