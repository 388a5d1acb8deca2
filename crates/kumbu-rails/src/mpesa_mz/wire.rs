//! M-Pesa's JSON: requests are `input_…` fields, answers `output_…` fields, every value a string.

use serde::{Deserialize, Serialize};

/// A C2B payment (collect) or a B2C payment (payout): the same fields.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transfer {
    /// Our reference of the transaction (1–20 characters).
    #[serde(rename = "input_TransactionReference")]
    pub transaction_reference: String,
    /// The customer's number, `258…`.
    #[serde(rename = "input_CustomerMSISDN")]
    pub customer_msisdn: String,
    /// The amount in meticais (`10`, `10.50`).
    #[serde(rename = "input_Amount")]
    pub amount: String,
    /// Our unique reference of this request: M-Pesa answers `INS-10` to a second request with it,
    /// and the status is asked by it.
    #[serde(rename = "input_ThirdPartyReference")]
    pub third_party_reference: String,
    /// The merchant's short code.
    #[serde(rename = "input_ServiceProviderCode")]
    pub service_provider_code: String,
}

/// A reversal (refund) of a C2B transaction.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Reversal {
    /// M-Pesa's id of the transaction reversed.
    #[serde(rename = "input_TransactionID")]
    pub transaction_id: String,
    /// The initiator's security credential.
    #[serde(rename = "input_SecurityCredential")]
    pub security_credential: String,
    /// The initiator.
    #[serde(rename = "input_InitiatorIdentifier")]
    pub initiator_identifier: String,
    /// Our unique reference of this reversal.
    #[serde(rename = "input_ThirdPartyReference")]
    pub third_party_reference: String,
    /// The merchant's short code.
    #[serde(rename = "input_ServiceProviderCode")]
    pub service_provider_code: String,
    /// How much to give back (all of it when absent).
    #[serde(
        rename = "input_ReversalAmount",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub reversal_amount: Option<String>,
}

/// A status query, sent as a query string.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Query {
    /// A reference of this query.
    #[serde(rename = "input_ThirdPartyReference")]
    pub third_party_reference: String,
    /// What is asked about: a transaction id, a conversation id or the third-party reference
    /// of the request.
    #[serde(rename = "input_QueryReference")]
    pub query_reference: String,
    /// The merchant's short code.
    #[serde(rename = "input_ServiceProviderCode")]
    pub service_provider_code: String,
}

/// Every answer, success or not.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    /// `INS-0` for success, else the error.
    #[serde(rename = "output_ResponseCode", default)]
    pub response_code: Option<String>,
    /// Its description.
    #[serde(rename = "output_ResponseDesc", default)]
    pub response_desc: Option<String>,
    /// M-Pesa's id of the transaction.
    #[serde(rename = "output_TransactionID", default)]
    pub transaction_id: Option<String>,
    /// M-Pesa's id of the exchange.
    #[serde(rename = "output_ConversationID", default)]
    pub conversation_id: Option<String>,
    /// Our reference, echoed.
    #[serde(rename = "output_ThirdPartyReference", default)]
    pub third_party_reference: Option<String>,
    /// A query's answer: `Completed`, `Pending`, `Cancelled`, `Expired`, `Failed` or `N/A`.
    #[serde(rename = "output_ResponseTransactionStatus", default)]
    pub transaction_status: Option<String>,
}
