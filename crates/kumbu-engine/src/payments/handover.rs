//! The hand-over of a payer to the operator's own page (Orange Money Web Payment, Wave's
//! checkout): `/pay/go/{token}`, the URL a live payment of such an operator is created with. The
//! token is opaque and random, so the URL says nothing of the payer and cannot be guessed; the
//! connector makes the operator's page only when its worker calls (never inside a request), so
//! the hand-over either sends the payer on, or asks them to wait a moment, or shows how the
//! payment ended, or, for an attempt of a checkout session, brings them back to its page.

use crate::error::EngineError;
use crate::Engine;
use kumbu_core::Payment;
use kumbu_store::SessionKey;

/// Where a hand-over sends the payer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handover {
    /// To the operator's page, to pay.
    Operator(String),
    /// Back to the checkout page of the session the payment is an attempt of (its token): it
    /// shows the outcome, or the way to the operator's page again.
    Checkout(String),
    /// Nowhere yet: the operator's page is being made (ask again in a moment), or the payment
    /// has ended; the payment says which.
    Wait(Box<Payment>),
}

/// The most characters a hand-over token may have (longer ones are not looked up).
const MAX_TOKEN: usize = 64;

impl Engine {
    /// Where the payer holding `token` goes; `None` when no payment has that token.
    /// `returning`: the payer comes back from the operator's page (then a checkout session's
    /// page is where they belong, whatever the payment's state).
    pub async fn handover(
        &self,
        token: &str,
        returning: bool,
    ) -> Result<Option<Handover>, EngineError> {
        if token.is_empty()
            || token.len() > MAX_TOKEN
            || !token.bytes().all(|b| b.is_ascii_alphanumeric())
        {
            return Ok(None);
        }
        let Some(p) = self.store().payment_by_handover(token).await? else {
            return Ok(None);
        };
        // Back from the operator, or nothing left to pay: no more handing over.
        let done = returning || !p.status.awaits_payer();
        if let (true, Some(id)) = (done, &p.checkout_session_id) {
            let session = self
                .store()
                .checkout_session(SessionKey::Id {
                    merchant_id: &p.merchant_id,
                    mode: p.mode,
                    id,
                })
                .await?;
            if let Some(s) = session {
                return Ok(Some(Handover::Checkout(s.token)));
            }
        }
        if done {
            return Ok(Some(Handover::Wait(Box::new(p))));
        }
        let url = self
            .connector_for(p.operator)
            .zip(p.rail_memo.as_deref())
            .and_then(|(c, memo)| c.payer_url(memo));
        Ok(Some(match url {
            Some(u) => Handover::Operator(u),
            None => Handover::Wait(Box::new(p)),
        }))
    }
}
