//! A checkout session: a payment page the merchant sends its customer to.
//!
//! ```text
//! open → completed | expired | cancelled      (all three terminal)
//! ```
//! While a session is open the customer may try several payments (after a failure, or with
//! another operator); each attempt is an ordinary [`crate::Payment`] linked to the session, and
//! at most one is in flight at a time. The session completes once, when an attempt is debited.

use crate::clock::Timestamp;
use crate::failure::FailureCode;
use crate::mode::Mode;
use crate::money::Currency;
use crate::operator::Operator;
use crate::payment::PaymentStatus;
use crate::phone::Msisdn;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a checkout session is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutStatus {
    /// The customer may pay.
    Open,
    /// An attempt was debited: the session is paid (terminal).
    Completed,
    /// Nobody paid before `expires_at`, or the merchant expired it (terminal).
    Expired,
    /// The customer cancelled on the page (terminal).
    Cancelled,
}

impl CheckoutStatus {
    /// Every status.
    pub const ALL: [CheckoutStatus; 4] = [
        CheckoutStatus::Open,
        CheckoutStatus::Completed,
        CheckoutStatus::Expired,
        CheckoutStatus::Cancelled,
    ];

    /// The stored and displayed name.
    pub const fn as_str(self) -> &'static str {
        match self {
            CheckoutStatus::Open => "open",
            CheckoutStatus::Completed => "completed",
            CheckoutStatus::Expired => "expired",
            CheckoutStatus::Cancelled => "cancelled",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        CheckoutStatus::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// No transition leaves it.
    pub const fn is_terminal(self) -> bool {
        match self {
            CheckoutStatus::Open => false,
            CheckoutStatus::Completed | CheckoutStatus::Expired | CheckoutStatus::Cancelled => true,
        }
    }
}

/// Why a session transition was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("checkout session is {}, which is final; it cannot become {}", .from.as_str(), .to.as_str())]
pub struct CheckoutTransition {
    /// Current status.
    pub from: CheckoutStatus,
    /// Requested status.
    pub to: CheckoutStatus,
}

/// The language a page speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Locale {
    /// French.
    Fr,
    /// Portuguese.
    Pt,
    /// English.
    En,
}

impl Locale {
    /// Every locale, in the order the page's switch lists them.
    pub const ALL: [Locale; 3] = [Locale::Fr, Locale::Pt, Locale::En];

    /// The BCP 47 base language tag.
    pub const fn as_str(self) -> &'static str {
        match self {
            Locale::Fr => "fr",
            Locale::Pt => "pt",
            Locale::En => "en",
        }
    }

    /// Parses a language tag, falling back to its base language (`pt-AO` → `pt`, `fr_CM` →
    /// `fr`); case does not matter.
    pub fn parse(tag: &str) -> Option<Self> {
        let base = tag.trim().split(['-', '_']).next().unwrap_or("");
        Locale::ALL
            .into_iter()
            .find(|l| l.as_str().eq_ignore_ascii_case(base))
    }

    /// The best locale for an `Accept-Language` header: the highest-weighted language Kumbu
    /// speaks, by base language.
    pub fn negotiate(accept_language: &str) -> Option<Self> {
        let mut best: Option<(u16, usize, Locale)> = None;
        for (i, part) in accept_language.split(',').enumerate() {
            let mut bits = part.split(';');
            let tag = bits.next().unwrap_or("");
            let q = bits
                .find_map(|b| b.trim().strip_prefix("q="))
                .map_or(1000, |q| {
                    q.trim()
                        .parse::<f32>()
                        .map_or(0, |v| (v.clamp(0.0, 1.0) * 1000.0) as u16)
                });
            if q == 0 {
                continue;
            }
            if let Some(l) = Locale::parse(tag) {
                let better = match best {
                    None => true,
                    Some((bq, bi, _)) => q > bq || (q == bq && i < bi),
                };
                if better {
                    best = Some((q, i, l));
                }
            }
        }
        best.map(|(_, _, l)| l)
    }
}

/// One line of what the customer pays for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineItem {
    /// What it is.
    pub name: String,
    /// How many (at least 1).
    pub quantity: i64,
    /// Price of one, in minor units.
    pub unit_amount: i64,
    /// More words.
    #[serde(default)]
    pub description: Option<String>,
    /// The merchant's product id.
    #[serde(default)]
    pub product_id: Option<String>,
}

impl LineItem {
    /// `quantity × unit_amount`, or `None` on overflow.
    pub fn total(&self) -> Option<i64> {
        self.quantity.checked_mul(self.unit_amount)
    }
}

/// The latest payment attempt of a session, as the page and the faces show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    /// `pay_…`
    pub payment_id: String,
    /// Where the payment is.
    pub status: PaymentStatus,
    /// The operator chosen.
    pub operator: Operator,
    /// The number prompted.
    pub payer_phone: Option<Msisdn>,
    /// The operator's transaction id, once known.
    pub operator_reference: Option<String>,
    /// Why it failed, if it did.
    pub failure_code: Option<FailureCode>,
    /// When the attempt stops waiting for the payer.
    pub expires_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
    /// Kumbu's hand-over token, when the payer pays on the operator's page (`/pay/go/{token}`).
    #[serde(skip)]
    pub handover: Option<String>,
}

/// A checkout session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutSession {
    /// `cs_…`
    pub id: String,
    /// The page's secret path segment (190 random bits): whoever holds it can pay.
    pub token: String,
    /// A UUID alias of the id, for faces whose ids are UUIDs (Simiz).
    pub uuid: String,
    /// Owning merchant.
    pub merchant_id: String,
    /// Test or live.
    pub mode: Mode,
    /// Where it is.
    pub status: CheckoutStatus,
    /// Minor units to pay (the items' sum when there are items).
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
    /// What is paid for (may be empty).
    pub items: Vec<LineItem>,
    /// Operators the customer may choose from.
    pub operators: Vec<Operator>,
    /// Where the customer goes after paying.
    pub return_url: String,
    /// Where the customer goes after cancelling or when the session expired.
    pub cancel_url: Option<String>,
    /// The page's language; `None` lets the browser choose.
    pub locale: Option<Locale>,
    /// The customer's name, if the merchant gave it.
    pub customer_name: Option<String>,
    /// A phone to prefill on the page.
    pub customer_phone: Option<Msisdn>,
    /// The merchant's customer (`cu_…`).
    pub customer_id: Option<String>,
    /// Shown to the customer.
    pub description: Option<String>,
    /// Merchant key-value data.
    pub metadata: BTreeMap<String, String>,
    /// Payment attempts started so far.
    pub attempts: u32,
    /// The latest attempt, if any.
    pub attempt: Option<Attempt>,
    /// The attempt that paid it (set when completed).
    pub payment_id: Option<String>,
    /// When it completed.
    pub completed_at: Option<Timestamp>,
    /// When it stops accepting payment.
    pub expires_at: Timestamp,
    /// When created.
    pub created_at: Timestamp,
    /// When last changed.
    pub updated_at: Timestamp,
    /// The API the session was created through (its payments are said to have come through it
    /// too); none for sessions made before it was kept.
    #[serde(default)]
    pub face: Option<crate::Face>,
}

impl CheckoutSession {
    /// Moves from `open` to a terminal status; refuses anything else.
    pub fn transition(
        &mut self,
        to: CheckoutStatus,
        at: Timestamp,
    ) -> Result<(), CheckoutTransition> {
        if self.status.is_terminal() || !to.is_terminal() {
            return Err(CheckoutTransition {
                from: self.status,
                to,
            });
        }
        self.status = to;
        self.updated_at = at;
        if to == CheckoutStatus::Completed {
            self.completed_at = Some(at);
        }
        Ok(())
    }

    /// The latest attempt while it is still in flight (not yet debited, failed or ended).
    pub fn attempt_in_flight(&self) -> Option<&Attempt> {
        self.attempt
            .as_ref()
            .filter(|a| !a.status.is_terminal() && !a.status.is_debited())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(status: CheckoutStatus) -> CheckoutSession {
        let t = Timestamp::from_micros(0);
        CheckoutSession {
            id: "cs_1".into(),
            token: "t".into(),
            uuid: "u".into(),
            merchant_id: "mer_1".into(),
            mode: Mode::Test,
            status,
            amount: 100,
            currency: Currency::Xaf,
            items: vec![],
            operators: vec![Operator::MtnCm],
            return_url: "https://m.example/ok".into(),
            cancel_url: None,
            locale: None,
            customer_name: None,
            customer_phone: None,
            customer_id: None,
            description: None,
            metadata: BTreeMap::new(),
            attempts: 0,
            attempt: None,
            payment_id: None,
            completed_at: None,
            expires_at: t,
            created_at: t,
            updated_at: t,
            face: None,
        }
    }

    #[test]
    fn only_open_moves_and_only_to_an_end() {
        let t = Timestamp::from_micros(5);
        for from in CheckoutStatus::ALL {
            for to in CheckoutStatus::ALL {
                let ok = session(from).transition(to, t).is_ok();
                assert_eq!(
                    ok,
                    from == CheckoutStatus::Open && to.is_terminal(),
                    "{from:?} -> {to:?}"
                );
            }
        }
        let mut s = session(CheckoutStatus::Open);
        s.transition(CheckoutStatus::Completed, t).unwrap();
        assert_eq!(s.completed_at, Some(t));
    }

    #[test]
    fn locales_negotiate_by_base_language_and_weight() {
        assert_eq!(Locale::parse("pt-AO"), Some(Locale::Pt));
        assert_eq!(Locale::parse("FR_cm"), Some(Locale::Fr));
        assert_eq!(Locale::parse("de"), None);
        assert_eq!(
            Locale::negotiate("de-DE,de;q=0.9,fr-CI;q=0.8,en;q=0.7"),
            Some(Locale::Fr)
        );
        assert_eq!(Locale::negotiate("en;q=0.5, pt-MZ;q=0.9"), Some(Locale::Pt));
        assert_eq!(Locale::negotiate("de, es;q=0.5"), None);
        assert_eq!(Locale::negotiate("fr;q=0, en"), Some(Locale::En));
        assert_eq!(Locale::negotiate(""), None);
    }
}
