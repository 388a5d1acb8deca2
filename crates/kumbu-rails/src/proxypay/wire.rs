//! ProxyPay v2's JSON: a reference's body, and the flat payment object of `GET /payments` and of
//! its webhook.

use crate::connector::Reported;
use kumbu_core::{BankPayment, Currency, TerminalType, Timestamp};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// `PUT /references/{id}`'s body.
#[derive(Debug, Clone, Serialize)]
pub struct ReferenceBody {
    /// `"3000.00"`, or absent for any amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// ISO 8601, or absent for none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_datetime: Option<String>,
    /// Copied onto each payment.
    pub custom_fields: BTreeMap<String, String>,
}

/// A payment, as ProxyPay shows one.
#[derive(Debug, Clone, Deserialize)]
pub struct Payment {
    /// `period_id × 10⁸ + transaction_id`.
    pub id: i64,
    /// `"1000.01"` (a number is read too).
    pub amount: Value,
    /// The reference paid.
    pub reference_id: u64,
    /// The merchant's entity.
    pub entity_id: i64,
    /// The period.
    pub period_id: i64,
    /// Its start.
    pub period_start_datetime: String,
    /// Its end.
    pub period_end_datetime: String,
    /// Within the period.
    pub transaction_id: i64,
    /// `ATM`, `POS`, `IB`, `MB`.
    pub terminal_type: String,
    /// The terminal.
    #[serde(default)]
    pub terminal_id: Option<Value>,
    /// Where.
    #[serde(default)]
    pub terminal_location: Option<String>,
    /// The terminal's period.
    #[serde(default)]
    pub terminal_period_id: Option<i64>,
    /// The terminal's transaction.
    #[serde(default)]
    pub terminal_transaction_id: Option<i64>,
    /// The product chosen.
    #[serde(default)]
    pub product_id: Option<i64>,
    /// The predefined amount chosen.
    #[serde(default)]
    pub parameter_id: Option<i64>,
    /// When paid.
    pub datetime: String,
    /// The reference's custom fields.
    #[serde(default)]
    pub custom_fields: Option<Value>,
}

impl Payment {
    /// What the network says was paid; `None` when a field does not read (logged by the caller).
    pub fn reported(&self) -> Option<Reported> {
        let amount = match &self.amount {
            Value::String(s) => Currency::Aoa.parse_decimal(s.trim()).ok()?,
            Value::Number(n) => Currency::Aoa.parse_decimal(&n.to_string()).ok()?,
            Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => return None,
        };
        let terminal_type = match self.terminal_type.as_str() {
            "ATM" => TerminalType::Atm,
            "POS" => TerminalType::Pos,
            "IB" => TerminalType::Ib,
            "MB" => TerminalType::Mb,
            _ => return None,
        };
        let custom_fields = match &self.custom_fields {
            Some(Value::Object(m)) => m
                .iter()
                .map(|(k, v)| {
                    let text = v.as_str().map_or_else(|| v.to_string(), str::to_owned);
                    (k.clone(), text)
                })
                .collect(),
            Some(
                Value::Null
                | Value::Bool(_)
                | Value::Number(_)
                | Value::String(_)
                | Value::Array(_),
            )
            | None => BTreeMap::new(),
        };
        Some(Reported {
            bank: BankPayment {
                reference_id: self.reference_id,
                payment_id: self.id,
                entity_id: self.entity_id,
                period_id: self.period_id,
                period_start: Timestamp::parse_rfc3339(&self.period_start_datetime)?,
                period_end: Timestamp::parse_rfc3339(&self.period_end_datetime)?,
                transaction_id: self.transaction_id,
                terminal_type,
                terminal_id: self.terminal_id.as_ref().and_then(|v| match v {
                    Value::String(s) => Some(s.clone()),
                    Value::Number(n) => Some(n.to_string()),
                    Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
                }),
                terminal_location: self.terminal_location.clone(),
                terminal_period_id: self.terminal_period_id,
                terminal_transaction_id: self.terminal_transaction_id,
                product_id: self.product_id,
                parameter_id: self.parameter_id,
                paid_at: Timestamp::parse_rfc3339(&self.datetime)?,
            },
            amount,
            custom_fields,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_webhook_reads() {
        let body = r#"{"transaction_id": 26356, "terminal_type": "IB", "terminal_transaction_id": 0,
          "terminal_location": null, "terminal_id": "4644327306", "reference_id": 111111139,
          "product_id": null, "period_start_datetime": "2007-03-13T19:00:00Z", "period_id": 1562,
          "period_end_datetime": "2007-03-14T19:00:00Z", "parameter_id": 0, "id": 156200026356,
          "fee": "50.00", "entity_id": 411, "datetime": "2017-01-17T09:08:00Z",
          "custom_fields": {}, "amount": "1000.01"}"#;
        let p: Payment = serde_json::from_str(body).unwrap();
        let r = p.reported().unwrap();
        assert_eq!(
            (r.amount, r.bank.payment_id, r.bank.reference_id),
            (100_001, 156_200_026_356, 111_111_139)
        );
        assert_eq!(r.bank.terminal_type, TerminalType::Ib);
    }
}
