//! The sandbox phone's prompts as shown.

use kumbu_engine::Prompt;
use serde::Serialize;
use utoipa::ToSchema;

/// A prompt on a sandbox phone.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptView {
    /// `prm_…`
    pub id: String,
    /// Always `sandbox.prompt`.
    pub object: &'static str,
    /// The payment asked about.
    pub payment: String,
    /// The phone showing the prompt.
    pub phone: String,
    /// Operator code.
    pub operator: String,
    /// Minor units.
    pub amount: i64,
    /// ISO 4217 code.
    pub currency: String,
    /// The payment's description.
    pub description: Option<String>,
    /// RFC 3339.
    pub expires_at: String,
}

impl From<&Prompt> for PromptView {
    fn from(p: &Prompt) -> Self {
        Self {
            id: p.id.clone(),
            object: "sandbox.prompt",
            payment: p.payment.id.clone(),
            phone: p
                .payment
                .payer_phone
                .as_ref()
                .map_or_else(String::new, ToString::to_string),
            operator: p.payment.operator.code().to_owned(),
            amount: p.payment.amount,
            currency: p.payment.currency.code().to_owned(),
            description: p.payment.description.clone(),
            expires_at: p.payment.expires_at.to_rfc3339(),
        }
    }
}

/// A list of prompts.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromptList {
    /// Always `list`.
    pub object: &'static str,
    /// Prompts waiting for an answer, oldest first.
    pub data: Vec<PromptView>,
    /// Never.
    pub has_more: bool,
}
