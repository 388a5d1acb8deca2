//! Every event type's name, in one place: each object's list, and all of them for validation
//! and documents. A leaf: it names types, never the objects that emit them.

use kumbu_core::PaymentStatus;

/// The checkout session event types.
pub const CHECKOUT_EVENTS: [&str; 4] = [
    "checkout.created",
    "checkout.completed",
    "checkout.expired",
    "checkout.cancelled",
];

/// The collection request event types.
pub const COLLECTION_EVENTS: [&str; 5] = [
    "collection_request.created",
    "collection_request.partially_paid",
    "collection_request.paid",
    "collection_request.expired",
    "collection_request.cancelled",
];

/// The ingested payment event types: received (with its outcome), its status updated by the
/// source, an exception raised for a person, and a person's decision.
pub const INGEST_EVENTS: [&str; 4] = [
    "payment_ingest.received",
    "payment_ingest.updated",
    "payment_ingest.exception_raised",
    "payment_ingest.exception_resolved",
];

/// The refund event types.
pub const REFUND_EVENTS: [&str; 3] = ["refund.created", "refund.succeeded", "refund.failed"];

/// The payout event types.
pub const PAYOUT_EVENTS: [&str; 3] = ["payout.created", "payout.succeeded", "payout.failed"];

/// The event written when an endpoint is disabled for failing.
pub const ENDPOINT_DISABLED: &str = "webhook_endpoint.disabled";

/// The event sent to one endpoint when a developer asks for a test (whatever the endpoint
/// subscribes to: see the store's fan-out).
pub const ENDPOINT_TEST: &str = "webhook_endpoint.test";

/// Every event type: a payment's, in lifecycle order, then the endpoint's.
pub fn event_types() -> Vec<String> {
    let mut types: Vec<String> = PaymentStatus::ALL
        .iter()
        .map(|s| format!("payment.{}", s.as_str()))
        .collect();
    types.extend(REFUND_EVENTS.iter().map(|t| (*t).to_owned()));
    types.extend(CHECKOUT_EVENTS.iter().map(|t| (*t).to_owned()));
    types.extend(
        COLLECTION_EVENTS
            .iter()
            .chain(INGEST_EVENTS.iter())
            .map(|t| (*t).to_owned()),
    );
    types.extend(PAYOUT_EVENTS.iter().map(|t| (*t).to_owned()));
    types.push(ENDPOINT_DISABLED.to_owned());
    types.push(ENDPOINT_TEST.to_owned());
    types
}
