//! The native API, `/v1/…`: JSON, snake_case, Stripe-like conventions.

mod catalogue;
pub(crate) mod checkout;
pub(crate) mod collection_views;
pub(crate) mod collections;
pub(crate) mod connectors;
mod events;
pub(crate) mod payments;
pub(crate) mod payouts;
mod references;
mod refunds;
mod sandbox;
pub(crate) mod views;
mod webhooks;

use crate::AppState;
use axum::routing::{get, post};
use axum::Router;
use kumbu_core::Field;

pub(crate) use catalogue::__path_get_balance;
pub(crate) use catalogue::__path_list_operators;
pub(crate) use events::{__path_ack_event, __path_get_event, __path_list_events};
pub(crate) use payments::{
    __path_cancel_payment, __path_create_payment, __path_get_payment, __path_list_payments,
};
pub(crate) use references::{
    __path_create_reference, __path_delete_reference, __path_get_reference, __path_list_references,
    __path_pay_reference, __path_put_reference,
};
pub(crate) use refunds::{__path_create_refund, __path_get_refund, __path_list_refunds};
pub(crate) use sandbox::{__path_confirm_prompt, __path_decline_prompt, __path_list_prompts};
pub(crate) use webhooks::{
    __path_create_endpoint, __path_delete_endpoint, __path_disable_endpoint,
    __path_enable_endpoint, __path_event_deliveries, __path_get_endpoint, __path_list_endpoints,
    __path_resend_event, __path_rotate_secret, __path_update_endpoint,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v1/payments",
            post(payments::create_payment).get(payments::list_payments),
        )
        .route("/v1/payments/{id}", get(payments::get_payment))
        .route("/v1/payments/{id}/cancel", post(payments::cancel_payment))
        .route(
            "/v1/payouts",
            post(payouts::create_payout).get(payouts::list_payouts),
        )
        .route("/v1/payouts/{id}", get(payouts::get_payout))
        .route("/v1/connectors", get(connectors::list_connectors))
        .route(
            "/v1/connectors/{operator}",
            get(connectors::get_connector)
                .put(connectors::put_connector)
                .delete(connectors::delete_connector),
        )
        .route("/v1/events", get(events::list_events))
        .route("/v1/events/{id}", get(events::get_event))
        .route("/v1/events/{id}/ack", post(events::ack_event))
        .route(
            "/v1/events/{id}/deliveries",
            get(webhooks::event_deliveries),
        )
        .route("/v1/events/{id}/resend", post(webhooks::resend_event))
        .route(
            "/v1/webhook_endpoints",
            post(webhooks::create_endpoint).get(webhooks::list_endpoints),
        )
        .route(
            "/v1/webhook_endpoints/{id}",
            get(webhooks::get_endpoint)
                .post(webhooks::update_endpoint)
                .delete(webhooks::delete_endpoint),
        )
        .route(
            "/v1/webhook_endpoints/{id}/rotate_secret",
            post(webhooks::rotate_secret),
        )
        .route(
            "/v1/webhook_endpoints/{id}/enable",
            post(webhooks::enable_endpoint),
        )
        .route(
            "/v1/webhook_endpoints/{id}/disable",
            post(webhooks::disable_endpoint),
        )
        .route(
            "/v1/refunds",
            post(refunds::create_refund).get(refunds::list_refunds),
        )
        .route("/v1/refunds/{id}", get(refunds::get_refund))
        .route(
            "/v1/references",
            post(references::create_reference).get(references::list_references),
        )
        .route(
            "/v1/references/{id}",
            get(references::get_reference)
                .put(references::put_reference)
                .delete(references::delete_reference),
        )
        .route(
            "/v1/sandbox/references/{id}/pay",
            post(references::pay_reference),
        )
        .route("/v1/operators", get(catalogue::list_operators))
        .route("/v1/operators/predict", get(checkout::predict_operators))
        .route(
            "/v1/checkout/sessions",
            post(checkout::create_session).get(checkout::list_sessions),
        )
        .route("/v1/checkout/sessions/{id}", get(checkout::get_session))
        .route(
            "/v1/checkout/sessions/{id}/expire",
            post(checkout::expire_session),
        )
        .route("/v1/balance", get(catalogue::get_balance))
        .route(
            "/v1/collection_requests",
            post(collections::create_collection_request).get(collections::list_collection_requests),
        )
        .route(
            "/v1/collection_requests/{id}",
            get(collections::get_collection_request),
        )
        .route(
            "/v1/collection_requests/{id}/cancel",
            post(collections::cancel_collection_request),
        )
        .route(
            "/v1/payment_records",
            post(collections::create_payment_record),
        )
        .route(
            "/v1/payment_records/{id}",
            post(collections::update_payment_record).delete(collections::delete_payment_record),
        )
        .route(
            "/v1/ingested_payments",
            post(collections::ingest_payment).get(collections::list_ingested_payments),
        )
        .route(
            "/v1/ingested_payments/{id}",
            get(collections::get_ingested_payment),
        )
        .route(
            "/v1/ingested_payments/{id}/resolve",
            post(collections::resolve_exception),
        )
        .route(
            "/v1/reconciliation_report",
            get(collections::reconciliation_report),
        )
        .route("/v1/sandbox/prompts", get(sandbox::list_prompts))
        .route(
            "/v1/sandbox/prompts/{id}/confirm",
            post(sandbox::confirm_prompt),
        )
        .route(
            "/v1/sandbox/prompts/{id}/decline",
            post(sandbox::decline_prompt),
        )
}

/// The native API's name for a domain field.
pub fn param_name(f: Field) -> &'static str {
    match f {
        Field::Amount => "amount",
        Field::Currency => "currency",
        Field::Operator => "payer.operator",
        Field::PayerPhone => "payer.phone",
        Field::Reference => "reference",
        Field::Description => "description",
        Field::Metadata => "metadata",
        Field::CustomerName => "customer.name",
        Field::CustomerEmail => "customer.email",
        Field::ExpiresIn => "expires_in",
        Field::IdempotencyKey => "Idempotency-Key",
        Field::Id => "id",
        Field::EventType => "type",
        Field::Url => "url",
        Field::Events => "events",
        Field::MaxConcurrency => "max_concurrency",
        Field::ReferenceId => "id",
        Field::EndDatetime => "end_datetime",
        Field::CustomFields => "custom_fields",
        Field::StatementDescriptor => "statement_descriptor",
        Field::CustomerId => "customer_id",
        Field::Country => "country",
        Field::ReturnUrl => "return_url",
        Field::CancelUrl => "cancel_url",
        Field::Items => "items",
        Field::Operators => "operators",
        Field::Locale => "locale",
        Field::AccountId => "account_id",
        Field::CollectionRequestId => "collection_request_id",
        Field::ProviderId => "provider_id",
        Field::Channel => "channel",
        Field::Status => "status",
        Field::PageToken => "page_token",
        Field::PageSize => "page_size",
        Field::Source => "source",
        Field::ExternalId => "external_id",
        Field::ProcessedAt => "processed_at",
        Field::EntityNumber => "entity_number",
        Field::ReferenceNumber => "reference_number",
        Field::Nib => "nib",
        Field::Payer => "payer",
        Field::DueDate => "due_date",
        Field::Methods => "methods",
        Field::ThirdPartyReference => "third_party_reference",
        Field::Resolution => "resolution",
        Field::Date => "date",
        Field::MethodType => "payment_method_type",
        Field::Note => "note",
        Field::ErvReference => "erv_reference",
        Field::TargetEnvironment => "target_environment",
        Field::CallbackHost => "callback_host",
        Field::CollectionKeys => "collection",
        Field::DisbursementKeys => "disbursement",
        Field::PayeePhone => "payee.phone",
    }
}
