//! The simulated Wave's memory: checkout sessions, payouts and their idempotency keys, the
//! balance, faults and counters. Kept in process memory (a restart forgets everything).

use kumbu_core::Timestamp;
use serde_json::{json, Value};
use std::collections::HashMap;

/// A checkout session.
#[derive(Debug, Clone)]
pub struct Session {
    /// `cos-…`.
    pub id: String,
    /// Amount, as Wave writes it (a string of whole francs).
    pub amount: String,
    /// `XOF`.
    pub currency: String,
    /// `open`, `complete` or `expired` (expiry is applied when read).
    pub checkout_status: &'static str,
    /// `processing`, `cancelled`, `succeeded` (or `refunded`, the simulator's word for a session
    /// refunded).
    pub payment_status: &'static str,
    /// The merchant's reference.
    pub client_reference: Option<String>,
    /// Where the payer goes after paying.
    pub success_url: String,
    /// Where the payer goes after an error or giving up.
    pub error_url: String,
    /// Only this number may pay, if set.
    pub restrict_payer_mobile: Option<String>,
    /// Wave's transaction id, once paid (`T_…`).
    pub transaction_id: Option<String>,
    /// Why the last attempt failed.
    pub last_payment_error: Option<Value>,
    /// When made.
    pub when_created: Timestamp,
    /// When it stops taking payments.
    pub when_expires: Timestamp,
    /// When paid.
    pub when_completed: Option<Timestamp>,
    /// When refunded.
    pub when_refunded: Option<Timestamp>,
}

impl Session {
    /// Its status at `now`: an open session past `when_expires` is `expired`.
    pub fn checkout_status_at(&self, now: Timestamp) -> &'static str {
        if self.checkout_status == "open" && now >= self.when_expires {
            "expired"
        } else {
            self.checkout_status
        }
    }

    /// The session object, as Wave shows it at `now`.
    pub fn view(&self, now: Timestamp, business_name: &str, launch_base: &str) -> Value {
        let status = self.checkout_status_at(now);
        json!({
            "id": self.id,
            "amount": self.amount,
            "currency": self.currency,
            "business_name": business_name,
            "checkout_status": status,
            "payment_status": if status == "expired" && self.payment_status == "processing" {
                "cancelled"
            } else {
                self.payment_status
            },
            "client_reference": self.client_reference,
            "success_url": self.success_url,
            "error_url": self.error_url,
            "restrict_payer_mobile": self.restrict_payer_mobile,
            "transaction_id": self.transaction_id,
            "last_payment_error": self.last_payment_error,
            "wave_launch_url": format!("{launch_base}/c/{}", self.id),
            "when_created": self.when_created.to_rfc3339(),
            "when_expires": self.when_expires.to_rfc3339(),
            "when_completed": self.when_completed.map(Timestamp::to_rfc3339),
            "when_refunded": self.when_refunded.map(Timestamp::to_rfc3339),
        })
    }
}

/// A payout.
#[derive(Debug, Clone)]
pub struct Payout {
    /// `pt-…`.
    pub id: String,
    /// The request as given (for idempotency: a key reused with another body is refused).
    pub request: Value,
    /// `processing`, `succeeded`, `failed` or `reversed`.
    pub status: &'static str,
    /// When a `processing` payout resolves (to `succeeded`).
    pub resolves_at: Option<Timestamp>,
    /// Why it failed.
    pub payout_error: Option<Value>,
    /// Amount received, whole francs.
    pub receive_amount: i64,
    /// Wave's fee (1 %, at least 1).
    pub fee: i64,
    /// When made.
    pub timestamp: Timestamp,
}

impl Payout {
    /// Its status at `now` (a `processing` payout resolves when its time comes).
    pub fn status_at(&self, now: Timestamp) -> &'static str {
        match (self.status, self.resolves_at) {
            ("processing", Some(t)) if now >= t => "succeeded",
            (s, _) => s,
        }
    }

    /// The payout object, as Wave shows it at `now`.
    pub fn view(&self, now: Timestamp) -> Value {
        let r = &self.request;
        json!({
            "id": self.id,
            "currency": r["currency"],
            "receive_amount": self.receive_amount.to_string(),
            "fee": self.fee.to_string(),
            "mobile": r["mobile"],
            "name": r.get("name"),
            "national_id": r.get("national_id"),
            "client_reference": r.get("client_reference"),
            "payment_reason": r.get("payment_reason"),
            "status": self.status_at(now),
            "payout_error": self.payout_error,
            "timestamp": self.timestamp.to_rfc3339(),
        })
    }
}

/// Faults injected into the simulated Wave (`PUT /_simulator/faults`).
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every API answer, in milliseconds.
    pub latency_ms: u64,
    /// The next N API calls answer 500; a payout or session is not made.
    pub fail_next: u32,
    /// The next N checkout sessions or payouts are made, then their answer hangs for `hang_ms`
    /// (default 30 s): the caller times out on something Wave did.
    pub hang_next: u32,
    /// How long a hung answer hangs.
    pub hang_ms: u64,
    /// Every webhook is sent twice (Wave: "may send the same event multiple times").
    pub duplicate_webhooks: bool,
    /// Every webhook is sent again this many milliseconds later.
    pub late_webhook_ms: u64,
    /// Every webhook is preceded by a forged one (a signature under another secret).
    pub forged_webhooks: bool,
    /// Every webhook is signed as if sent ten minutes ago (outside the tolerance).
    pub stale_webhooks: bool,
    /// Webhooks carry a second `v1`, under a retired secret (a rotation under way).
    pub rotating_secret: bool,
}

impl Faults {
    /// Takes one of the `hang_next` answers, if any is left: how long it hangs, in milliseconds.
    pub(super) fn take_hang(&mut self) -> Option<u64> {
        crate::sim_http::take_one(&mut self.hang_next).then_some(if self.hang_ms > 0 {
            self.hang_ms
        } else {
            30_000
        })
    }
}

/// Counters, for tests and for the operator of the simulator.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Checkout sessions made.
    pub sessions: u64,
    /// Sessions paid.
    pub paid: u64,
    /// Payment attempts that failed on the payer's side.
    pub payment_failures: u64,
    /// Session reads (by id, by transaction, by search).
    pub session_reads: u64,
    /// Payouts made (idempotent replays not counted).
    pub payouts: u64,
    /// Payout reads.
    pub payout_reads: u64,
    /// Requests replayed for a reused idempotency key.
    pub replays: u64,
    /// Calls refused for their credentials or signature.
    pub unauthorized: u64,
    /// Webhooks answered 2xx.
    pub webhooks_delivered: u64,
    /// Webhooks that failed.
    pub webhooks_failed: u64,
    /// Webhooks still to be sent.
    pub webhooks_pending: u64,
}

/// Where webhooks go and how they are authenticated (`PUT /_simulator/webhook` changes it).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Webhook {
    /// Where; none: no webhooks.
    pub url: Option<String>,
    /// Signs with `Wave-Signature`.
    pub signing_secret: Option<String>,
    /// Without a signing secret: sent as `Authorization: Bearer`.
    pub shared_secret: Option<String>,
}

/// Everything the simulator holds.
#[derive(Debug, Default)]
pub struct State {
    /// Webhook settings.
    pub webhook: Webhook,
    /// The secret every API request must be signed with, if any (`PUT
    /// /_simulator/request-signing` changes it).
    pub request_signing_secret: Option<String>,
    /// Sessions by id.
    pub sessions: HashMap<String, Session>,
    /// Payouts by id.
    pub payouts: HashMap<String, Payout>,
    /// Payout id by (API key, idempotency key).
    pub idempotency: HashMap<(String, String), String>,
    /// The wallet's balance, whole francs.
    pub balance: i64,
    /// Faults in force.
    pub faults: Faults,
    /// Counters.
    pub stats: Stats,
}
