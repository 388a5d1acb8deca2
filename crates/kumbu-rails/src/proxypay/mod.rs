//! ProxyPay as Kumbu's upstream for live Multicaixa references (Angola): a merchant with a
//! ProxyPay account sets its API key, and its live references are issued at ProxyPay under the
//! same id and amount and end (`PUT /references/{id}`, `DELETE /references/{id}`); the payments
//! ProxyPay reports, by its webhook (`X-Signature`: HMAC-SHA256 of the body under the API key)
//! and by its queue (`GET /payments`, acknowledged with `DELETE /payments/{id}` once Kumbu has
//! committed them), become Kumbu payments. It is a connector with the references capability
//! ([`References`]); it collects nothing by prompt and sends no money out.
//!
//! Its simulator is Kumbu itself: the ProxyPay face in test mode (`kumbu simulate proxypay`, or a
//! second `kumbu serve`), whose mock payments stand for Multicaixa payers.
//!
//! Layout: `settings` (the API key), `client` (the calls), `wire` (ProxyPay's JSON).

mod client;
mod settings;
pub mod wire;

pub use client::Client;
pub use settings::Settings;

use crate::connector::{
    BoxFuture, CallError, Callback, Checked, Connector, Duty, Flow, Opened, Outbound, Outgoing,
    ProductCheck, References, Reported, SettingsError,
};
use crate::{Advance, Via};
use hmac::{Hmac, Mac};
use kumbu_core::{Currency, FailureCode, Operator, Payment, Reference, Timestamp};
use sha2::Sha256;
use std::time::Duration;

/// The connector's path segment: ProxyPay's webhook is `<public URL>/callbacks/proxypay/<merchant id>`.
pub const SLUG: &str = "proxypay";

/// ProxyPay's production API.
pub const PRODUCTION_URL: &str = "https://api.proxypay.co.ao";

/// The connector: ProxyPay's API at one base URL, and the gateway's public URL.
#[derive(Debug)]
pub struct ProxyPay {
    client: Client,
    callback_base: Option<String>,
}

impl ProxyPay {
    /// A connector to the API at `base_url` (`https://api.proxypay.co.ao`; Kumbu's own face in
    /// tests), with `timeout` per call; its webhook comes to `callback_base`.
    pub fn new(base_url: &str, callback_base: Option<&str>, timeout: Duration) -> Self {
        Self {
            client: Client::new(base_url, timeout),
            callback_base: callback_base.map(|b| b.trim_end_matches('/').to_owned()),
        }
    }
}

/// Whether `signature` (hex) is HMAC-SHA256 of `body` under `key`, compared in constant time.
pub fn signed(key: &str, body: &[u8], signature: &str) -> bool {
    let Ok(given) = hex::decode(signature.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The merchant's settings, for a call: unreadable ones refuse the call as credentials would.
fn key(creds: &Opened) -> Result<Settings, CallError> {
    settings::open(creds)
        .ok_or_else(|| CallError::Unauthorized("sealed settings do not read".into()))
}

impl References for ProxyPay {
    fn put_reference<'a>(
        &'a self,
        creds: &'a Opened,
        r: &'a Reference,
    ) -> BoxFuture<'a, Result<(), CallError>> {
        Box::pin(async move {
            let s = key(creds)?;
            let body = wire::ReferenceBody {
                amount: r.amount.map(|a| Currency::Aoa.format_decimal(a)),
                end_datetime: r.end_at.map(Timestamp::to_rfc3339),
                custom_fields: r.custom_fields.clone(),
            };
            self.client.put_reference(&s, r.id, &body).await
        })
    }

    fn delete_reference<'a>(
        &'a self,
        creds: &'a Opened,
        id: u64,
    ) -> BoxFuture<'a, Result<(), CallError>> {
        Box::pin(async move {
            let s = key(creds)?;
            self.client.delete_reference(&s, id).await
        })
    }

    fn queued<'a>(&'a self, creds: &'a Opened) -> BoxFuture<'a, Result<Vec<Reported>, CallError>> {
        Box::pin(async move {
            let s = key(creds)?;
            let payments = self.client.payments(&s).await?;
            Ok(payments
                .iter()
                .filter_map(|p| {
                    let r = p.reported();
                    if r.is_none() {
                        tracing::error!(
                            payment = p.id,
                            "a payment ProxyPay queued does not read; it stays in its queue"
                        );
                    }
                    r
                })
                .collect())
        })
    }

    fn acknowledge<'a>(
        &'a self,
        creds: &'a Opened,
        id: i64,
    ) -> BoxFuture<'a, Result<(), CallError>> {
        Box::pin(async move {
            let s = key(creds)?;
            self.client.acknowledge(&s, id).await
        })
    }

    fn webhook(
        &self,
        creds: &Opened,
        headers: &[(String, String)],
        body: &[u8],
    ) -> Option<Reported> {
        let s = settings::open(creds)?;
        let signature = headers
            .iter()
            .find(|(k, _)| k == "x-signature")
            .map(|(_, v)| v.as_str())?;
        if !signed(&s.api_key, body, signature) {
            return None;
        }
        let payment: wire::Payment = serde_json::from_slice(body).ok()?;
        payment.reported()
    }
}

impl Connector for ProxyPay {
    fn name(&self) -> &'static str {
        "ProxyPay"
    }

    fn slug(&self) -> &'static str {
        SLUG
    }

    fn operators(&self) -> &'static [Operator] {
        &[Operator::Multicaixa]
    }

    fn disburses(&self) -> bool {
        false
    }

    fn flow(&self, _op: Operator) -> Flow {
        // Payers pay a reference at a cash machine or their bank: no payment is pushed.
        Flow::Prompt
    }

    fn payer_url(&self, _memo: &str) -> Option<String> {
        None
    }

    fn callback_reference(&self, _path: &str, _body: &[u8]) -> Option<String> {
        // Its webhook reports a payment, not news of one Kumbu asked for (`References::webhook`).
        None
    }

    fn checks_callbacks(&self) -> bool {
        true
    }

    fn genuine_callback(&self, _callback: &Callback<'_>) -> bool {
        false
    }

    fn settings(&self, given: serde_json::Value) -> Result<Checked, SettingsError> {
        let settings = Settings::given(given)?;
        Checked::of(&settings, settings.summary())
    }

    fn read(&self, creds: &Opened) -> Result<(), SettingsError> {
        Settings::sealed(creds).map(|_| ())
    }

    fn can(&self, creds: &Opened, duty: Duty) -> bool {
        settings::open(creds).is_some() && matches!(duty, Duty::Collect)
    }

    fn new_reference(&self) -> String {
        // Its references are Kumbu's own reference ids; no payment of it needs another.
        String::new()
    }

    fn is_reference(&self, _text: &str) -> bool {
        false
    }

    fn references(&self) -> Option<&dyn References> {
        Some(self)
    }

    fn collect<'a>(
        &'a self,
        payment: &'a Payment,
        _creds: &'a Opened,
        _now: Timestamp,
    ) -> BoxFuture<'a, Advance> {
        // Payments by reference arrive reported and settled; none is ever due for a call.
        Box::pin(async move {
            tracing::error!(payment = %payment.id, "a Multicaixa payment was due for a call; nothing to ask ProxyPay");
            Advance::failed(
                Via::Request,
                payment.progress.step,
                FailureCode::ProviderError,
                "NOT_A_PUSH_RAIL",
            )
        })
    }

    fn disburse<'a>(
        &'a self,
        _out: Outgoing<'a>,
        _creds: &'a Opened,
        _now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        Box::pin(async {
            Outbound::Failed {
                code: FailureCode::ProviderError,
                operator_code: "NOT_SUPPORTED".to_owned(),
            }
        })
    }

    fn disbursement_status<'a>(
        &'a self,
        _out: Outgoing<'a>,
        _creds: &'a Opened,
        _now: Timestamp,
    ) -> BoxFuture<'a, Outbound> {
        Box::pin(async { Outbound::NotFound })
    }

    fn check<'a>(&'a self, creds: &'a Opened, _now: Timestamp) -> BoxFuture<'a, Vec<ProductCheck>> {
        Box::pin(async move {
            let problem = match settings::open(creds) {
                None => Some(
                    "the sealed settings do not read as ProxyPay settings; set them again"
                        .to_owned(),
                ),
                Some(s) => self.client.payments(&s).await.err().map(|e| e.to_string()),
            };
            vec![ProductCheck {
                product: "api_key",
                problem,
            }]
        })
    }

    fn forget(&self, _key: &str) {}

    fn callback_url(&self, merchant: &str) -> Option<String> {
        self.callback_base
            .as_ref()
            .map(|b| format!("{b}/callbacks/{SLUG}/{merchant}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn webhooks_are_believed_when_signed_with_the_key() {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"reh8inj33o3algd2tpi6tkcnrqf8rjj2").unwrap();
        mac.update(b"{}");
        let sig = hex::encode(mac.finalize().into_bytes());
        assert!(signed("reh8inj33o3algd2tpi6tkcnrqf8rjj2", b"{}", &sig));
        assert!(!signed("another", b"{}", &sig));
        assert!(!signed("reh8inj33o3algd2tpi6tkcnrqf8rjj2", b"{ }", &sig));
        assert!(!signed("reh8inj33o3algd2tpi6tkcnrqf8rjj2", b"{}", "zz"));
    }
}
