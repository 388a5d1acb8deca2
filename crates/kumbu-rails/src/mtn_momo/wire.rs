//! MTN MoMo Open API wire types, as MTN documents them (momodeveloper.mtn.com), apart from the
//! engine's: every amount is a decimal string, every id a string, and unknown fields are ignored
//! (MTN adds fields; clients must not break).

use serde::{Deserialize, Serialize};

/// The header naming the resource a POST creates (a UUID v4 we choose, committed before the call).
pub const REFERENCE_ID: &str = "X-Reference-Id";
/// The header naming the environment (`sandbox`, `mtnivorycoast`, `mtncameroon`, …).
pub const TARGET_ENVIRONMENT: &str = "X-Target-Environment";
/// The header carrying the product's subscription key.
pub const SUBSCRIPTION_KEY: &str = "Ocp-Apim-Subscription-Key";
/// The header naming where MTN should call back.
pub const CALLBACK_URL: &str = "X-Callback-Url";

/// A party: payer of a request to pay, payee of a transfer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    /// `MSISDN`, `EMAIL` or `PARTY_CODE`.
    pub party_id_type: String,
    /// The number, without `+` (e.g. `2250500000789`).
    pub party_id: String,
}

impl Party {
    /// A mobile number.
    pub fn msisdn(digits: &str) -> Self {
        Self {
            party_id_type: "MSISDN".to_owned(),
            party_id: digits.to_owned(),
        }
    }
}

/// `POST /collection/v1_0/requesttopay` (and, with `payee`, `POST /disbursement/v1_0/transfer`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionRequest {
    /// Amount in major units, as text (`"1500"`; `"12.50"` in EUR).
    pub amount: String,
    /// ISO 4217 code (`EUR` in MTN's sandbox).
    pub currency: String,
    /// The caller's label for reconciliation; MTN does not require it to be unique.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Who pays (request to pay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Party>,
    /// Who is paid (transfer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<Party>,
    /// Shown to the payer.
    #[serde(default)]
    pub payer_message: Option<String>,
    /// Shown to the payee.
    #[serde(default)]
    pub payee_note: Option<String>,
    /// The request to pay a refund gives back (`POST /disbursement/v1_0/refund`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_id_to_refund: Option<String>,
}

/// A transaction's status, from `GET …/requesttopay/{id}` or `GET …/transfer/{id}`, and the body
/// of MTN's callback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TransactionStatus {
    /// Amount, as text.
    #[serde(default)]
    pub amount: Option<String>,
    /// Currency.
    #[serde(default)]
    pub currency: Option<String>,
    /// MTN's own transaction id, once money moved.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub financial_transaction_id: Option<String>,
    /// The caller's label.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Payer (request to pay).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Party>,
    /// Payee (transfer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee: Option<Party>,
    /// Message to the payer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer_message: Option<String>,
    /// Note to the payee.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payee_note: Option<String>,
    /// `PENDING`, `SUCCESSFUL`, `FAILED` (and, measured in MTN's sandbox, `CREATED`).
    pub status: String,
    /// Why it failed: a bare string on GET; some deployments send `{code, message}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<ReasonBody>,
}

/// A failure reason as it may arrive.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ReasonBody {
    /// `"NOT_ENOUGH_FUNDS"`.
    Code(String),
    /// `{"code": "NOT_ENOUGH_FUNDS", "message": "…"}`.
    Object {
        /// The code.
        code: String,
        /// Words.
        #[serde(default)]
        message: Option<String>,
    },
}

impl ReasonBody {
    /// The code, whichever shape it came in.
    pub fn code(&self) -> &str {
        match self {
            ReasonBody::Code(c) | ReasonBody::Object { code: c, .. } => c,
        }
    }
}

/// MTN's error body: `{"code": "RESOURCE_ALREADY_EXIST", "message": "…"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// The code.
    #[serde(default)]
    pub code: Option<String>,
    /// Words.
    #[serde(default)]
    pub message: Option<String>,
}

/// `POST /{product}/token/`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The bearer token.
    pub access_token: String,
    /// `access_token`.
    #[serde(default)]
    pub token_type: Option<String>,
    /// Seconds (3600).
    pub expires_in: u64,
}

/// `GET /{product}/v1_0/account/balance`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Balance {
    /// Amount, as text.
    pub available_balance: String,
    /// Currency.
    pub currency: String,
}

/// `POST /v1_0/apiuser` (sandbox provisioning).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewApiUser {
    /// The host MTN will call back (callbacks to other hosts are refused).
    pub provider_callback_host: String,
}

/// `GET /v1_0/apiuser/{id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiUser {
    /// The registered callback host.
    pub provider_callback_host: String,
    /// `sandbox`.
    pub target_environment: String,
}

/// `POST /v1_0/apiuser/{id}/apikey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKey {
    /// The key.
    pub api_key: String,
}
