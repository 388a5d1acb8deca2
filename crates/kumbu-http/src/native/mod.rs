//! The native API, `/v1/…`: JSON, snake_case, Stripe-like conventions.

mod catalogue;
pub(crate) mod checkout;
pub(crate) mod collections;
pub(crate) mod connectors;
mod events;
mod exports;
pub(crate) mod parse;
pub(crate) mod payments;
pub(crate) mod payouts;
mod references;
mod refunds;
mod sandbox;
mod statements;
pub(crate) mod views;
mod webhook;
mod webhooks;

pub use webhook::Webhook;

use crate::AppState;
use axum::Router;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// The native operations, each with its documentation (`#[utoipa::path]`): the router and
/// the document come from the same list, so no route escapes the document.
pub(crate) fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(payments::create_payment, payments::list_payments))
        .routes(routes!(payments::get_payment))
        .routes(routes!(payments::cancel_payment))
        .routes(routes!(payouts::create_payout, payouts::list_payouts))
        .routes(routes!(payouts::get_payout))
        .routes(routes!(connectors::list_connectors))
        .routes(routes!(
            connectors::get_connector,
            connectors::put_connector,
            connectors::delete_connector
        ))
        .routes(routes!(events::list_events))
        .routes(routes!(events::get_event))
        .routes(routes!(events::ack_event))
        .routes(routes!(webhooks::event_deliveries))
        .routes(routes!(webhooks::resend_event))
        .routes(routes!(webhooks::create_endpoint, webhooks::list_endpoints))
        .routes(routes!(
            webhooks::get_endpoint,
            webhooks::update_endpoint,
            webhooks::delete_endpoint
        ))
        .routes(routes!(webhooks::rotate_secret))
        .routes(routes!(webhooks::send_test))
        .routes(routes!(webhooks::enable_endpoint))
        .routes(routes!(webhooks::disable_endpoint))
        .routes(routes!(refunds::create_refund, refunds::list_refunds))
        .routes(routes!(refunds::get_refund))
        .routes(routes!(
            references::create_reference,
            references::list_references
        ))
        .routes(routes!(
            references::get_reference,
            references::put_reference,
            references::delete_reference
        ))
        .routes(routes!(references::pay_reference))
        .routes(routes!(catalogue::list_operators))
        .routes(routes!(checkout::predict_operators))
        .routes(routes!(checkout::create_session, checkout::list_sessions))
        .routes(routes!(checkout::get_session))
        .routes(routes!(checkout::expire_session))
        .routes(routes!(catalogue::get_balance))
        .routes(routes!(statements::list_balance_transactions))
        .routes(routes!(statements::get_balance_transaction))
        .routes(routes!(statements::get_statements))
        .routes(routes!(exports::export_balance_transactions))
        .routes(routes!(exports::export_payments))
        .routes(routes!(
            collections::create_collection_request,
            collections::list_collection_requests
        ))
        .routes(routes!(collections::get_collection_request))
        .routes(routes!(collections::cancel_collection_request))
        .routes(routes!(collections::create_payment_record))
        .routes(routes!(
            collections::update_payment_record,
            collections::delete_payment_record
        ))
        .routes(routes!(
            collections::ingest_payment,
            collections::list_ingested_payments
        ))
        .routes(routes!(collections::get_ingested_payment))
        .routes(routes!(collections::resolve_exception))
        .routes(routes!(collections::reconciliation_report))
        .routes(routes!(sandbox::list_prompts))
        .routes(routes!(sandbox::confirm_prompt))
        .routes(routes!(sandbox::decline_prompt))
}

/// The native routes.
pub fn routes() -> Router<AppState> {
    api().split_for_parts().0
}
