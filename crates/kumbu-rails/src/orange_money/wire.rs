//! Orange Money Web Payment's bodies, as Orange writes them (connectors.md §1.2).

use serde::{Deserialize, Serialize};

/// `POST /oauth/v3/token`'s answer.
#[derive(Debug, Deserialize)]
pub struct TokenResponse {
    /// The Bearer token.
    pub access_token: String,
    /// Seconds it lives (a number; some gateways write it as a string, which is read too).
    #[serde(deserialize_with = "seconds")]
    pub expires_in: u64,
}

fn seconds<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum N {
        Number(u64),
        Text(String),
    }
    match N::deserialize(d)? {
        N::Number(n) => Ok(n),
        N::Text(s) => s.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// `POST …/webpayment`'s body.
#[derive(Debug, Serialize)]
pub struct WebPaymentRequest<'a> {
    /// The merchant's key from Orange.
    pub merchant_key: &'a str,
    /// `XOF`, `XAF`, or `OUV` in Orange's sandbox.
    pub currency: &'a str,
    /// Ours, at most 30 characters, never reused.
    pub order_id: &'a str,
    /// Whole francs.
    pub amount: i64,
    /// Where the payer goes after paying or failing.
    pub return_url: &'a str,
    /// Where the payer goes if they give up.
    pub cancel_url: &'a str,
    /// Where Orange posts the notification.
    pub notif_url: &'a str,
    /// `fr` or `en`.
    pub lang: &'a str,
    /// Shown to the payer, at most 30 characters.
    pub reference: &'a str,
}

/// `POST …/webpayment`'s answer (201).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct WebPaymentCreated {
    /// What `transactionstatus` needs, with the order id and amount.
    pub pay_token: String,
    /// Where the payer pays.
    pub payment_url: String,
    /// Echoed in the notification: compared before the notification is believed at all.
    pub notif_token: String,
}

/// `POST …/transactionstatus`'s body.
#[derive(Debug, Serialize)]
pub struct StatusRequest<'a> {
    /// The order id the payment page was made with.
    pub order_id: &'a str,
    /// Its amount.
    pub amount: i64,
    /// Its `pay_token`.
    pub pay_token: &'a str,
}

/// `POST …/transactionstatus`'s answer.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct StatusAnswer {
    /// `INITIATED`, `PENDING`, `SUCCESS`, `FAILED`, `EXPIRED`.
    pub status: String,
    /// Orange's transaction id, once there is one.
    #[serde(default)]
    pub txnid: Option<String>,
}

/// An error body: the gateway's (`code`, `message`, `description`) or Web Payment's (`status`,
/// `message`, `description`); both read.
#[derive(Debug, Default, Deserialize)]
pub struct ErrorBody {
    /// The gateway's code (41 invalid, 42 expired credentials, …) or Web Payment's status.
    #[serde(default, alias = "status")]
    pub code: Option<serde_json::Value>,
    /// What went wrong.
    #[serde(default)]
    pub message: Option<String>,
    /// More, or the field at fault.
    #[serde(default)]
    pub description: Option<String>,
}

/// Cameroon's `mp/pay` body.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MpPayRequest<'a> {
    /// Where Orange posts the notification.
    pub notif_url: &'a str,
    /// The merchant's channel number.
    pub channel_user_msisdn: &'a str,
    /// Whole francs, as text.
    pub amount: &'a str,
    /// The payer's number without 237.
    pub subscriber_msisdn: &'a str,
    /// The channel user's PIN (Orange takes it in the clear).
    pub pin: &'a str,
    /// Ours.
    pub order_id: &'a str,
    /// What the payer reads.
    pub description: &'a str,
    /// From `mp/init`.
    pub pay_token: &'a str,
}

/// Every answer of Cameroon's `mp` API: `{"message", "data": {…}}`.
#[derive(Debug, Deserialize)]
pub struct MpAnswer {
    /// What happened, in words.
    #[serde(default)]
    pub message: Option<String>,
    /// The payment.
    #[serde(default)]
    pub data: Option<MpData>,
}

/// The payment in an `mp` answer.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MpData {
    /// Its token.
    #[serde(default)]
    pub pay_token: Option<String>,
    /// `INITIATED`, `PENDING`, `SUCCESSFULL`, `FAILED`, `EXPIRED`.
    #[serde(default)]
    pub status: Option<String>,
    /// Orange's transaction id.
    #[serde(default)]
    pub txnid: Option<String>,
}
