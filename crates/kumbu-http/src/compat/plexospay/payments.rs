//! PlexosPay's payments: create (the payer is prompted), get, list, cancel.

use super::customers::CustomerBody;
use super::error::{PxError, PxErrorBody};
use super::views::{PxList, PxPayment, PAYMENT_PREFIX};
use super::{invalid, list_query, openapi, views, Body, Caller, Idempotent, ListParams};
use crate::compat::common::{kumbu_id, metadata, Paging};
use crate::extract::NoParams;
use crate::reply::{record, respond};
use crate::AppState;
use axum::extract::{Path, RawQuery, State};
use axum::response::Response;
use axum::Json;
use kumbu_core::{Currency, ErrorCode, Msisdn};
use kumbu_engine::{CreatePayment, CustomerInput, PaymentFilter};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// A payment request's fields (documented per operator by [`openapi::PaymentRequest`]).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub(super) struct CreatePaymentBody {
    /// Centavos (minor units).
    #[schema(value_type = i64)]
    amount: i64,
    #[schema(value_type = openapi::PxOperatorName)]
    operator: String,
    /// The phone prompted to pay.
    #[schema(value_type = crate::openapi::vocab::Phone)]
    operator_phone: String,
    #[schema(value_type = Option<openapi::PxPaymentCurrency>)]
    currency: Option<String>,
    /// One of your customers (`cu_…`, from `POST /v1/customers`).
    customer_id: Option<String>,
    /// Your reference, unique per merchant and mode (a second payment with it: 409).
    #[schema(value_type = Option<openapi::Text128>)]
    external_id: Option<String>,
    #[schema(value_type = Option<openapi::PaymentCustomer>)]
    customer: Option<CustomerBody>,
    #[schema(value_type = Option<openapi::Text500>)]
    description: Option<String>,
    /// What the payer's statement shows.
    #[schema(value_type = Option<openapi::Text100>)]
    statement_descriptor: Option<String>,
    #[schema(value_type = Option<crate::openapi::vocab::FaceMetadata>)]
    metadata: Option<Value>,
}

/// A payment's amount: centavos, lowest and highest (each operator's limits apply too).
pub(super) const PAYMENT_AMOUNT: (i64, i64) = (1, 100_000_000);

/// The currencies a payment may name (each operator collects some of them).
pub(super) const PAYMENT_CURRENCIES: [Currency; 2] = [Currency::Cve, Currency::Aoa];

/// Create a payment: the payer is prompted on their phone.
#[utoipa::path(post, path = "/v1/payments", tag = "payments",
    params(Idempotent),
    request_body = openapi::PaymentRequest,
    responses(
        (status = 200, description = "The payment, `CREATED`", body = PxPayment,
            links(
                ("GetPayment" = (operation_id = "get_payment", parameters(("id" = "$response.body#/id")))),
                ("CancelPayment" = (operation_id = "cancel_payment", parameters(("id" = "$response.body#/id")))),
                ("RefundPayment" = (operation_id = "create_refund", request_body = json!({"paymentIntentId": "$response.body#/id"}))))),
        (status = 409, description = "`externalId` is already another payment's, or a request with this Idempotency-Key is in progress", body = PxErrorBody)))]
pub(super) async fn create_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Body { idem, body, .. }: Body<CreatePaymentBody>,
) -> Result<Response, PxError> {
    let (lo, hi) = PAYMENT_AMOUNT;
    if !(lo..=hi).contains(&body.amount) {
        return Err(PxError::new(
            ErrorCode::AmountOutOfRange,
            format!("amount must be an integer number of centavos from {lo} to {hi}"),
        ));
    }
    let operator = views::parse_operator(&body.operator).ok_or_else(|| {
        PxError::new(
            ErrorCode::OperatorUnknown,
            format!(
                "operator must be CVMOVEL, UNITEL_TMAIS or MOCK, not {:?}",
                body.operator
            ),
        )
    })?;
    let currency = match body.currency.as_deref() {
        Some(c) if PAYMENT_CURRENCIES.iter().any(|x| x.code() == c) => {
            Currency::parse(c).map_err(|e| invalid(e.to_string()))?
        }
        Some(other) => {
            return Err(PxError::new(
                ErrorCode::CurrencyNotSupported,
                format!("currency must be CVE or AOA, not {other:?}"),
            ))
        }
        None => *state
            .engine
            .catalogue()
            .get(operator)
            .currencies
            .first()
            .unwrap_or(&Currency::Cve),
    };
    let payer_phone = Msisdn::parse(&body.operator_phone)
        .map_err(|e| PxError::new(ErrorCode::PhoneInvalid, format!("operatorPhone: {e}")))?;
    let customer = body.customer.as_ref();
    let cmd = CreatePayment {
        amount: body.amount,
        currency,
        operator,
        payer_phone,
        reference: body.external_id,
        description: body.description,
        statement_descriptor: body.statement_descriptor,
        customer_id: body.customer_id,
        metadata: metadata(body.metadata.as_ref()).map_err(invalid)?,
        customer: CustomerInput {
            name: customer.and_then(|c| c.name.clone()),
            email: customer.and_then(|c| c.email.clone()),
        },
        expires_in: None,
    };
    let outcome = state
        .engine
        .create_payment(&auth, cmd, idem.as_ref(), |p| {
            record(200, &PxPayment::from(p))
        })
        .await?;
    Ok(respond(outcome))
}

/// A payment.
#[utoipa::path(get, path = "/v1/payments/{id}", tag = "payments",
    params(("id" = String, Path, description = "`pi_…` (or Kumbu's `pay_…`)")),
    responses((status = 200, description = "The payment", body = PxPayment)))]
pub(super) async fn get_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
) -> Result<Json<PxPayment>, PxError> {
    let p = state
        .engine
        .payment(&auth, &kumbu_id(&id, PAYMENT_PREFIX, "pay_"))
        .await?;
    Ok(Json(PxPayment::from(&p)))
}

/// Payments through PlexosPay's operators, newest first.
#[utoipa::path(get, path = "/v1/payments", tag = "payments",
    params(ListParams),
    responses((status = 200, description = "A page of payments", body = PxList<PxPayment>)))]
pub(super) async fn list_payments(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    RawQuery(query): RawQuery,
) -> Result<Json<PxList<PxPayment>>, PxError> {
    let Paging {
        limit,
        starting_after: after,
        rest,
    } = list_query(query.as_deref())?;
    if let Some((k, _)) = rest.first() {
        return Err(invalid(format!("`{k}` is not a known parameter")));
    }
    let after = after.map(|a| kumbu_id(&a, PAYMENT_PREFIX, "pay_"));
    // PlexosPay lists its own operators' payments, not those of other faces.
    let filter = PaymentFilter {
        operators: views::OPERATORS.to_vec(),
        ..PaymentFilter::default()
    };
    let page = state
        .engine
        .list_payments(&auth, &filter, after.as_deref(), limit)
        .await?;
    Ok(Json(PxList {
        data: page.data.iter().map(PxPayment::from).collect(),
        has_more: page.has_more,
    }))
}

/// Cancel a payment before money moves.
#[utoipa::path(post, path = "/v1/payments/{id}/cancel", tag = "payments",
    params(("id" = String, Path, description = "`pi_…`"), Idempotent),
    responses(
        (status = 200, description = "The payment, `CANCELLED`", body = PxPayment),
        (status = 409, description = "Money moved, or the payment already ended, or the operator has it", body = PxErrorBody)))]
pub(super) async fn cancel_payment(
    State(state): State<AppState>,
    Caller { auth, .. }: Caller,
    Path(id): Path<String>,
    Body { idem, .. }: Body<NoParams>,
) -> Result<Response, PxError> {
    let outcome = state
        .engine
        .cancel_payment(
            &auth,
            &kumbu_id(&id, PAYMENT_PREFIX, "pay_"),
            idem.as_ref(),
            |p| record(200, &PxPayment::from(p)),
        )
        .await?;
    Ok(respond(outcome))
}
