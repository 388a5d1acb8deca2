//! Object identifiers: a type prefix and 24 random base62 characters (~143 bits).

use rand::distributions::Alphanumeric;
use rand::Rng;

/// The prefix of each kind of object id, so that an id says what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdPrefix {
    /// `pay_`: a payment.
    Payment,
    /// `mer_`: a merchant.
    Merchant,
    /// `key_`: an API key record (not the secret).
    ApiKey,
    /// `evt_`: an event.
    Event,
    /// `jrn_`: a ledger journal.
    Journal,
    /// `prm_`: a sandbox prompt (shares its random part with the payment).
    Prompt,
    /// `we_`: a webhook endpoint.
    WebhookEndpoint,
    /// `re_`: a refund.
    Refund,
    /// `cu_`: a customer.
    Customer,
    /// `cli_`: a client credential (its client id).
    Client,
    /// `cs_`: a checkout session.
    CheckoutSession,
    /// `cr_`: a collection request (a bill).
    CollectionRequest,
    /// `ing_`: a payment ingested from outside (a bank, a file, another gateway).
    Ingest,
    /// `po_`: a payout (money sent from the merchant's balance to a wallet).
    Payout,
    /// `usr_`: a person who signs in to the dashboard.
    Person,
    /// `txn_`: a balance transaction (shares its random part with its journal).
    BalanceTransaction,
}

impl IdPrefix {
    /// The prefix text, underscore included.
    pub const fn as_str(self) -> &'static str {
        match self {
            IdPrefix::Payment => "pay_",
            IdPrefix::Merchant => "mer_",
            IdPrefix::ApiKey => "key_",
            IdPrefix::Event => "evt_",
            IdPrefix::Journal => "jrn_",
            IdPrefix::Prompt => "prm_",
            IdPrefix::WebhookEndpoint => "we_",
            IdPrefix::Refund => "re_",
            IdPrefix::Customer => "cu_",
            IdPrefix::Client => "cli_",
            IdPrefix::CheckoutSession => "cs_",
            IdPrefix::CollectionRequest => "cr_",
            IdPrefix::Ingest => "ing_",
            IdPrefix::Payout => "po_",
            IdPrefix::Person => "usr_",
            IdPrefix::BalanceTransaction => "txn_",
        }
    }
}

/// Length of the random part of an id.
pub const RANDOM_LEN: usize = 24;

/// A fresh random id with the given prefix.
pub fn new_id(prefix: IdPrefix) -> String {
    let mut s = String::with_capacity(prefix.as_str().len() + RANDOM_LEN);
    s.push_str(prefix.as_str());
    s.push_str(&random_token(RANDOM_LEN));
    s
}

/// `len` random base62 characters from the OS-seeded thread RNG.
pub fn random_token(len: usize) -> String {
    rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(len)
        .map(char::from)
        .collect()
}

/// `true` when `s` is `prefix` followed by 1..=64 ASCII alphanumerics: a cheap shape check that
/// keeps garbage out of queries.
pub fn has_shape(s: &str, prefix: IdPrefix) -> bool {
    match s.strip_prefix(prefix.as_str()) {
        Some(rest) => {
            !rest.is_empty() && rest.len() <= 64 && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        }
        None => false,
    }
}

/// Moves an id from one prefix to another, keeping the random part (`pay_X` → `prm_X`).
pub fn reprefix(id: &str, from: IdPrefix, to: IdPrefix) -> Option<String> {
    id.strip_prefix(from.as_str())
        .map(|rest| format!("{}{rest}", to.as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_shape() {
        let id = new_id(IdPrefix::Payment);
        assert!(id.starts_with("pay_"));
        assert_eq!(id.len(), 4 + RANDOM_LEN);
        assert!(has_shape(&id, IdPrefix::Payment));
        assert!(!has_shape(&id, IdPrefix::Merchant));
        assert!(!has_shape("pay_", IdPrefix::Payment));
        assert!(!has_shape("pay_a'b", IdPrefix::Payment));
        assert_ne!(new_id(IdPrefix::Payment), id);
    }

    #[test]
    fn reprefix_keeps_random_part() {
        assert_eq!(
            reprefix("pay_abc", IdPrefix::Payment, IdPrefix::Prompt).as_deref(),
            Some("prm_abc")
        );
        assert_eq!(
            reprefix("mer_abc", IdPrefix::Payment, IdPrefix::Prompt),
            None
        );
    }
}
