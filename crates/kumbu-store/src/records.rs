//! The rows that pass between events, deliveries and the transaction: a leaf that every one of
//! them imports and that imports none of them.

use kumbu_core::{Mode, Timestamp};

/// A stored event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord {
    /// `evt_…`
    pub id: String,
    /// Test or live.
    pub mode: Mode,
    /// e.g. `payment.debited`.
    pub event_type: String,
    /// The object the event is about.
    pub object_id: String,
    /// 1, 2, 3… per object.
    pub object_seq: i64,
    /// The object after the change (JSON of the domain snapshot).
    pub payload: String,
    /// When.
    pub created_at: Timestamp,
    /// When the merchant acknowledged it from the pull queue.
    pub acked_at: Option<Timestamp>,
}

/// What fan-out needs of an event: who it belongs to, what it is about, and when its
/// deliveries fall due.
pub(crate) struct Published<'a> {
    pub(crate) id: &'a str,
    pub(crate) merchant_id: &'a str,
    pub(crate) mode: Mode,
    pub(crate) event_type: &'a str,
    pub(crate) object_id: &'a str,
    pub(crate) due: Timestamp,
    /// When its deliveries are created (retries stop 3 days later).
    pub(crate) created_at: Timestamp,
}

/// A stored webhook endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointRecord {
    /// `we_…`
    pub id: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Where events are POSTed.
    pub url: String,
    /// Free text.
    pub description: Option<String>,
    /// `*` or `,type,type,`.
    pub events: String,
    /// `enabled`, `disabled` or `deleted`.
    pub status: String,
    /// Body format: `native` (signed events) or `proxypay` (flat payments signed with the API key).
    pub format: String,
    /// Current signing secret (`whsec_…`, or the API key for `proxypay`), sealed.
    pub secret: String,
    /// The secret before the last rotation, still signing until `previous_secret_until`.
    pub previous_secret: Option<String>,
    /// When the previous secret stops signing.
    pub previous_secret_until: Option<Timestamp>,
    /// Since when every attempt to this endpoint failed (cleared by a success).
    pub failing_since: Option<Timestamp>,
    /// Most deliveries in flight at once, across processes (`None`: the gateway's default).
    pub max_concurrency: Option<i64>,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
}

/// A delivery whose attempt is due, with what it takes to make it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    /// The delivery.
    pub seq: i64,
    /// Attempts made so far.
    pub attempts: i64,
    /// When the delivery was created (retries stop 3 days later).
    pub created_at: Timestamp,
    /// The event to send.
    pub event: EventRecord,
    /// Where to send it.
    pub endpoint: EndpointRecord,
}
