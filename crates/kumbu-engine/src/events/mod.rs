//! Reading the outbox: events as merchants see them, and the pull queue with acknowledgement.
//! Every event type's name is in `types.rs`.

pub mod types;

use crate::auth::AuthContext;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::ids::has_shape;
use kumbu_core::{ErrorCode, Field, IdPrefix, Mode, Payment, Timestamp};
use kumbu_store::{EventFilter, EventRecord, StoreError};

/// An event: one change of one object, with the object as it was after the change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// `evt_…`
    pub id: String,
    /// e.g. `payment.debited`.
    pub event_type: String,
    /// Test or live.
    pub mode: Mode,
    /// Position of this change among the object's changes (1, 2, 3…): sort by it to recover the
    /// object's order when events arrive out of order.
    pub sequence: i64,
    /// When the change happened.
    pub created_at: Timestamp,
    /// When it was acknowledged from the pull queue, if it was.
    pub acked_at: Option<Timestamp>,
    /// The object after the change.
    pub object: EventObject,
}

/// What an event is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventObject {
    /// A payment (its history is not repeated in each event).
    Payment(Box<Payment>),
    /// A webhook endpoint (never with its secret).
    WebhookEndpoint(Box<crate::endpoints::Endpoint>),
    /// A refund.
    Refund(Box<kumbu_core::Refund>),
    /// A checkout session (with its latest attempt).
    CheckoutSession(Box<kumbu_core::CheckoutSession>),
    /// A collection request (a bill).
    CollectionRequest(Box<kumbu_core::CollectionRequest>),
    /// A payment reported from outside, with its reconciliation outcome.
    IngestedPayment(Box<kumbu_core::IngestedPayment>),
    /// A payout.
    Payout(Box<kumbu_core::Payout>),
}

impl EventObject {
    /// The id of the object the event is about.
    pub fn id(&self) -> &str {
        match self {
            EventObject::Payment(p) => &p.id,
            EventObject::WebhookEndpoint(e) => &e.id,
            EventObject::Refund(r) => &r.id,
            EventObject::CheckoutSession(c) => &c.id,
            EventObject::CollectionRequest(c) => &c.id,
            EventObject::IngestedPayment(i) => &i.id,
            EventObject::Payout(p) => &p.id,
        }
    }
}

pub(crate) fn to_event(r: EventRecord) -> Result<Event, EngineError> {
    let corrupt =
        |e: serde_json::Error| StoreError::Corrupt(format!("event {} payload: {e}", r.id));
    let object = if r.event_type.starts_with("payment.") {
        EventObject::Payment(Box::new(serde_json::from_str(&r.payload).map_err(corrupt)?))
    } else if r.event_type.starts_with("refund.") {
        EventObject::Refund(Box::new(serde_json::from_str(&r.payload).map_err(corrupt)?))
    } else if r.event_type.starts_with("checkout.") {
        EventObject::CheckoutSession(Box::new(serde_json::from_str(&r.payload).map_err(corrupt)?))
    } else if r.event_type.starts_with("collection_request.") {
        EventObject::CollectionRequest(Box::new(serde_json::from_str(&r.payload).map_err(corrupt)?))
    } else if r.event_type.starts_with("payment_ingest.") {
        EventObject::IngestedPayment(Box::new(serde_json::from_str(&r.payload).map_err(corrupt)?))
    } else if r.event_type.starts_with("payout.") {
        EventObject::Payout(Box::new(serde_json::from_str(&r.payload).map_err(corrupt)?))
    } else if r.event_type.starts_with("webhook_endpoint.") {
        EventObject::WebhookEndpoint(Box::new(serde_json::from_str(&r.payload).map_err(corrupt)?))
    } else {
        return Err(StoreError::Corrupt(format!(
            "event {} has unknown type {}",
            r.id, r.event_type
        ))
        .into());
    };
    Ok(Event {
        id: r.id,
        event_type: r.event_type,
        mode: r.mode,
        sequence: r.object_seq,
        created_at: r.created_at,
        acked_at: r.acked_at,
        object,
    })
}

impl Engine {
    /// One of the caller's events.
    pub async fn event(&self, auth: &AuthContext, id: &str) -> Result<Event, EngineError> {
        if !has_shape(id, IdPrefix::Event) {
            return Err(EngineError::not_found("event", id));
        }
        let rec = self.store().event(&auth.merchant_id, auth.mode, id).await?;
        to_event(rec.ok_or_else(|| EngineError::not_found("event", id))?)
    }

    /// A page of the caller's events (see [`EventFilter`]); `has_more` says whether more follow.
    pub async fn list_events(
        &self,
        auth: &AuthContext,
        filter: &EventFilter,
        starting_after: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Event>, bool), EngineError> {
        if let Some(t) = &filter.event_type {
            if !types::event_types().contains(t) {
                return Err(EngineError::field(
                    ErrorCode::ParameterInvalid,
                    Field::EventType,
                    format!(
                        "unknown event type `{t}`; one of: {}",
                        types::event_types().join(", ")
                    ),
                ));
            }
        }
        let not_ours = |after: &str| EngineError::unknown_cursor("events", after);
        EngineError::check_cursor(starting_after, IdPrefix::Event, "events")?;
        let (records, has_more) = self
            .store()
            .list_events(
                &auth.merchant_id,
                auth.mode,
                filter,
                starting_after,
                limit.clamp(1, 100),
            )
            .await?
            .ok_or_else(|| not_ours(starting_after.unwrap_or_default()))?;
        let events = records
            .into_iter()
            .map(to_event)
            .collect::<Result<Vec<_>, _>>()?;
        Ok((events, has_more))
    }

    /// Takes an event off the caller's pull queue. Acknowledging twice is harmless.
    pub async fn ack_event(&self, auth: &AuthContext, id: &str) -> Result<Event, EngineError> {
        if !has_shape(id, IdPrefix::Event) {
            return Err(EngineError::not_found("event", id));
        }
        let rec = self
            .store()
            .ack_event(&auth.merchant_id, auth.mode, id, self.now())
            .await?;
        to_event(rec.ok_or_else(|| EngineError::not_found("event", id))?)
    }
}
