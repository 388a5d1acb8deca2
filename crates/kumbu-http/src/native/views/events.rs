//! Events as shown (`GET /v1/events`, webhook bodies): the event and its object.

use super::{EndpointView, PaymentView, RefundView};
use serde::Serialize;
use utoipa::ToSchema;

/// The object inside an event.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventData {
    /// The object as it was right after the change.
    pub object: EventDataObject,
}

/// What an event is about.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EventDataObject {
    /// A payment, without its history (`payment.*` events).
    Payment(Box<PaymentView>),
    /// A webhook endpoint, without its secret (`webhook_endpoint.*` events).
    WebhookEndpoint(Box<EndpointView>),
    /// A refund (`refund.*` events).
    Refund(Box<RefundView>),
    /// A checkout session (`checkout.*` events).
    CheckoutSession(Box<crate::native::checkout::CheckoutSessionView>),
    /// A collection request (`collection_request.*` events).
    CollectionRequest(Box<super::CollectionRequestView>),
    /// A payment reported from outside (`payment_ingest.*` events).
    IngestedPayment(Box<super::IngestView>),
    /// A payout (`payout.*` events).
    Payout(Box<crate::native::payouts::PayoutView>),
}

/// An event: one change of one object.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    /// `evt_…`
    pub id: String,
    /// Always `event`.
    pub object: &'static str,
    /// `payment.created`, `payment.operator_pending`, `payment.user_confirming`,
    /// `payment.debited`, `payment.settled`, `payment.failed`, `payment.expired`,
    /// `payment.cancelled`, `payment.partially_refunded`, `payment.refunded`, `refund.created`,
    /// `refund.succeeded`, `refund.failed`, `webhook_endpoint.disabled`, `webhook_endpoint.test`
    /// (…: docs/events.md lists every type).
    #[serde(rename = "type")]
    pub event_type: String,
    /// 1, 2, 3… per object: sort by it to recover the object's order.
    pub sequence: i64,
    /// `true` for live events.
    pub livemode: bool,
    /// RFC 3339.
    pub created_at: String,
    /// `true` until acknowledged with `POST /v1/events/{id}/ack`.
    pub pending: bool,
    /// The object after the change.
    pub data: EventData,
}

impl EventView {
    /// The view of `e`; a checkout session's page URL is under `base`.
    pub fn of(e: &kumbu_engine::Event, base: &crate::urls::PublicUrl) -> Self {
        let object = match &e.object {
            kumbu_engine::EventObject::Payment(p) => {
                EventDataObject::Payment(Box::new(PaymentView::snapshot(p)))
            }
            kumbu_engine::EventObject::WebhookEndpoint(w) => {
                EventDataObject::WebhookEndpoint(Box::new(EndpointView::from(w.as_ref())))
            }
            kumbu_engine::EventObject::Refund(r) => {
                EventDataObject::Refund(Box::new(RefundView::from(r.as_ref())))
            }
            kumbu_engine::EventObject::CheckoutSession(s) => EventDataObject::CheckoutSession(
                Box::new(crate::native::checkout::CheckoutSessionView::of(s, base)),
            ),
            kumbu_engine::EventObject::CollectionRequest(c) => EventDataObject::CollectionRequest(
                Box::new(super::CollectionRequestView::from(c.as_ref())),
            ),
            kumbu_engine::EventObject::IngestedPayment(i) => {
                EventDataObject::IngestedPayment(Box::new(super::IngestView::from(i.as_ref())))
            }
            kumbu_engine::EventObject::Payout(p) => EventDataObject::Payout(Box::new(
                crate::native::payouts::PayoutView::from(p.as_ref()),
            )),
        };
        Self {
            id: e.id.clone(),
            object: "event",
            event_type: e.event_type.clone(),
            sequence: e.sequence,
            livemode: e.mode.is_live(),
            created_at: e.created_at.to_rfc3339(),
            pending: e.acked_at.is_none(),
            data: EventData { object },
        }
    }
}

/// A page of events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventList {
    /// Always `list`.
    pub object: &'static str,
    /// The events: oldest first with `pending=true`, newest first otherwise.
    pub data: Vec<EventView>,
    /// More follow; pass the last id as `starting_after`.
    pub has_more: bool,
    /// The listing's path.
    pub url: &'static str,
}
