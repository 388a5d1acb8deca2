//! The simulated MTN's memory: API users, tokens, transactions, balances and injected faults.
//! Kept in process memory (a restart forgets everything, as a fresh sandbox would).

use super::behaviour::{for_number, Behaviour, Side};
use crate::mtn_momo::reasons::{Reason, Status};
use crate::mtn_momo::wire::{Party, ReasonBody, TransactionStatus};
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// A provisioned API user.
#[derive(Debug, Clone)]
pub struct User {
    /// `providerCallbackHost`.
    pub callback_host: String,
    /// Its key, once created.
    pub api_key: Option<String>,
}

/// An issued token.
#[derive(Debug, Clone)]
pub struct Token {
    /// The product it was issued for.
    pub product: String,
    /// The API user it was issued to.
    pub user: String,
    /// Until when it works.
    pub expires: Instant,
}

/// The transaction kinds MTN's products create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TxnKind {
    /// `collection/v1_0/requesttopay`.
    RequestToPay,
    /// `disbursement|remittance/v1_0/transfer`.
    Transfer,
    /// `disbursement/v1_0/deposit`.
    Deposit,
    /// `disbursement/v1_0/refund`.
    Refund,
}

impl TxnKind {
    /// The kind a path segment names under a product.
    pub fn parse(product: &str, segment: &str) -> Option<Self> {
        match (product, segment) {
            ("collection", "requesttopay") => Some(TxnKind::RequestToPay),
            ("disbursement" | "remittance", "transfer") => Some(TxnKind::Transfer),
            ("disbursement", "deposit") => Some(TxnKind::Deposit),
            ("disbursement", "refund") => Some(TxnKind::Refund),
            _ => None,
        }
    }

    /// Whose number decides the outcome.
    pub fn side(self) -> Side {
        match self {
            TxnKind::RequestToPay => Side::Payer,
            TxnKind::Transfer | TxnKind::Deposit | TxnKind::Refund => Side::Payee,
        }
    }
}

/// A transaction MTN registered.
#[derive(Debug, Clone)]
pub struct Txn {
    /// Which product created it.
    pub product: String,
    /// What it is.
    pub kind: TxnKind,
    /// Amount, as sent.
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// The caller's label.
    pub external_id: String,
    /// The number.
    pub party: Party,
    /// Messages.
    pub payer_message: String,
    /// Notes.
    pub payee_note: String,
    /// What happens to it.
    pub behaviour: Behaviour,
    /// When it was registered.
    pub created: Instant,
    /// A person's answer (manual numbers).
    pub answered: Option<(bool, Instant)>,
    /// Where to call back.
    pub callback_url: Option<String>,
    /// MTN's own id, once it succeeded.
    pub financial_id: String,
    /// Whether its effect on the balance was counted.
    pub booked: bool,
}

impl Txn {
    /// Its status at `now`.
    pub fn status(
        &self,
        now: Instant,
        approval: Duration,
        window: Duration,
    ) -> (Status, Option<Reason>) {
        let since = now.saturating_duration_since(self.created);
        let decided = |after: Duration| since >= after;
        match &self.behaviour {
            Behaviour::Succeed { .. } | Behaviour::Silent | Behaviour::DuplicateCallbacks => {
                match self.behaviour.decided_after(approval) {
                    Some(after) if decided(after) => (Status::Successful, None),
                    Some(_) | None => (Status::Pending, None),
                }
            }
            Behaviour::Fail { reason, .. } => match self.behaviour.decided_after(approval) {
                Some(after) if decided(after) => (Status::Failed, Some(reason.clone())),
                Some(_) | None => (Status::Pending, None),
            },
            Behaviour::Manual => match self.answered {
                Some((true, _)) => (Status::Successful, None),
                Some((false, _)) => (Status::Failed, Some(Reason::ApprovalRejected)),
                None if decided(window) => (Status::Failed, Some(Reason::Expired)),
                None => (Status::Pending, None),
            },
            Behaviour::NeverAnswers if decided(window) => (Status::Failed, Some(Reason::Expired)),
            Behaviour::NeverAnswers | Behaviour::Unavailable(_) => (Status::Pending, None),
        }
    }

    /// The status body (GET and callbacks).
    pub fn view(&self, status: &Status, reason: Option<&Reason>) -> TransactionStatus {
        let (payer, payee) = match self.kind.side() {
            Side::Payer => (Some(self.party.clone()), None),
            Side::Payee => (None, Some(self.party.clone())),
        };
        TransactionStatus {
            amount: Some(self.amount.clone()),
            currency: Some(self.currency.clone()),
            financial_transaction_id: matches!(status, Status::Successful)
                .then(|| self.financial_id.clone()),
            external_id: Some(self.external_id.clone()),
            payer,
            payee,
            payer_message: Some(self.payer_message.clone()),
            payee_note: Some(self.payee_note.clone()),
            status: status.as_str().to_owned(),
            reason: reason.map(|r| ReasonBody::Code(r.as_str().to_owned())),
        }
    }
}

/// Faults to inject, set by `PUT /_simulator/faults` or the command line.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Added to every answer, in milliseconds.
    pub latency_ms: u64,
    /// The next N product calls answer 500 `INTERNAL_PROCESSING_ERROR` (a POST registers nothing).
    pub fail_next: u32,
    /// The next N transaction POSTs are registered, then their answer hangs for `hang_ms`.
    pub hang_next: u32,
    /// How long a hung answer hangs (default 30 s).
    pub hang_ms: u64,
    /// Share (0–1) of product calls that answer 500 at random.
    pub error_rate: f64,
    /// Share (0–1) of transaction POSTs that hang at random (registered first).
    pub hang_rate: f64,
    /// Every callback is sent twice, and a stale `PENDING` copy after it.
    pub duplicate_callbacks: bool,
    /// Every callback is sent again this many milliseconds later (a late copy).
    pub late_callback_ms: u64,
}

/// Counters, for tests and for the operator of the simulator.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Stats {
    /// Tokens issued.
    pub tokens: u64,
    /// Transaction POSTs received (including refused and duplicate ones).
    pub posts: u64,
    /// Transactions registered.
    pub registered: u64,
    /// 409 answers to a reused reference.
    pub duplicates: u64,
    /// Status GETs.
    pub status_queries: u64,
    /// Callbacks delivered (2xx).
    pub callbacks_delivered: u64,
    /// Callback attempts that failed.
    pub callbacks_failed: u64,
    /// Callbacks planned and not sent yet (waiting for their moment, or being sent with their
    /// copies and retries): 0 means every callback decided so far has been sent.
    pub callbacks_pending: u64,
    /// Calls refused for a missing or bad token.
    pub unauthorized: u64,
}

/// Everything the simulator holds.
#[derive(Debug, Default)]
pub struct State {
    /// API users by id.
    pub users: HashMap<String, User>,
    /// Tokens by value.
    pub tokens: HashMap<String, Token>,
    /// Transactions by (kind, reference).
    pub txns: HashMap<(TxnKind, String), Txn>,
    /// Faults in force.
    pub faults: Faults,
    /// Counters.
    pub stats: Stats,
    /// Collected money per currency, in the currency's text units × 100 (cents).
    pub collected: HashMap<String, i128>,
    /// Money paid out per currency, same units.
    pub paid_out: HashMap<String, i128>,
}

impl State {
    /// A transaction's status now (with its reason and MTN's body for it), given the
    /// simulator's approval delay and window, booking a success's money once; `None` for an
    /// unknown transaction.
    pub fn current(
        &mut self,
        kind: TxnKind,
        reference: &str,
        (approval_delay, approval_window): (Duration, Duration),
    ) -> Option<(Status, Option<Reason>, serde_json::Value)> {
        let txn = self.txns.get(&(kind, reference.to_owned()))?;
        let (status, reason) = txn.status(Instant::now(), approval_delay, approval_window);
        let view = serde_json::json!(txn.view(&status, reason.as_ref()));
        if matches!(status, Status::Successful) && !txn.booked {
            let (currency, amount) = (txn.currency.clone(), hundredths(&txn.amount).unwrap_or(0));
            let book = match kind {
                TxnKind::RequestToPay => &mut self.collected,
                TxnKind::Transfer | TxnKind::Deposit | TxnKind::Refund => &mut self.paid_out,
            };
            *book.entry(currency).or_default() += amount;
            if let Some(t) = self.txns.get_mut(&(kind, reference.to_owned())) {
                t.booked = true;
            }
        }
        Some((status, reason, view))
    }

    /// Takes one "next N" fault, if any is left.
    pub fn take(counter: &mut u32) -> bool {
        if *counter > 0 {
            *counter -= 1;
            true
        } else {
            false
        }
    }

    /// Registers a transaction decided by its number.
    pub fn behaviour(kind: TxnKind, party: &Party) -> Behaviour {
        for_number(&party.party_id, kind.side())
    }
}

/// Parses MTN's decimal text into hundredths (`"1500"` → 150000, `"12.5"` → 1250); `None` if it
/// is not a positive decimal with at most two places.
pub fn hundredths(text: &str) -> Option<i128> {
    let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
    if whole.is_empty()
        || frac.len() > 2
        || !whole.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
        || whole.len() > 15
    {
        return None;
    }
    let w: i128 = whole.parse().ok()?;
    let f: i128 = format!("{frac:0<2}").parse().ok()?;
    let v = w * 100 + f;
    (v > 0).then_some(v)
}

/// Hundredths back to text with two places.
pub fn from_hundredths(v: i128) -> String {
    format!("{}.{:02}", v / 100, (v % 100).abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_decimal_text() {
        assert_eq!(hundredths("1500"), Some(150_000));
        assert_eq!(hundredths("12.5"), Some(1250));
        assert_eq!(hundredths("0"), None);
        assert_eq!(hundredths("1e3"), None);
        assert_eq!(hundredths("1.234"), None);
        assert_eq!(from_hundredths(1250), "12.50");
    }
}
