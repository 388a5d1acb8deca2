//! A merchant's Orange Money credentials: as given (the API's body, the CLI's file) and sealed
//! ([`Settings`], checked field by field), and in memory ([`WebPay`], secrets as
//! `SecretString`, named by a hash of the keys so that replaced keys never reuse a token).

use super::client::WebPay;
use crate::connector::{check_text, read_given, read_sealed, Opened, SettingsError, Summary};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Web Payment's keys, as Orange's developer portal issues them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebPaySettings {
    /// The OAuth client id (not secret).
    pub client_id: String,
    /// The OAuth client secret.
    pub client_secret: String,
    /// The merchant key every `webpayment` carries.
    pub merchant_key: String,
}

impl std::fmt::Debug for WebPaySettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebPaySettings")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

/// Orange credentials as given and as sealed (JSON). Never logged, never returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Web Payment's country segment: `ci`, `cm`, … (`dev` in Orange's sandbox, whose currency
    /// is `OUV`).
    pub country: String,
    /// Web Payment (the payer pays on Orange's page).
    pub web_payment: WebPaySettings,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("country", &self.country)
            .field("client_id", &self.web_payment.client_id)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Checks the settings: a country segment, and Web Payment's three keys.
    pub fn check(&self) -> Result<(), SettingsError> {
        check_text("country", &self.country, 8)?;
        if !self.country.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(SettingsError {
                field: "country",
                message: "country is Web Payment's path segment for the market: ci, cm, … (dev in Orange's sandbox)".into(),
            });
        }
        let w = &self.web_payment;
        for (name, value, max) in [
            ("web_payment.client_id", &w.client_id, 128),
            ("web_payment.client_secret", &w.client_secret, 256),
            ("web_payment.merchant_key", &w.merchant_key, 128),
        ] {
            check_text("web_payment", value, max).map_err(|e| SettingsError {
                message: format!("{name}: {}", e.message),
                ..e
            })?;
        }
        Ok(())
    }

    /// Reads settings as a merchant gave them, checked.
    pub fn given(given: serde_json::Value) -> Result<Self, SettingsError> {
        let s: Settings = read_given(given)?;
        s.check()?;
        Ok(s)
    }

    /// The settings sealed in `opened`.
    pub fn sealed(opened: &Opened) -> Result<Self, SettingsError> {
        read_sealed(opened, "Orange Money")
    }

    /// What may be shown of them.
    pub fn summary(&self) -> Summary {
        Summary {
            target_environment: self.country.clone(),
            callback_host: None,
            products: vec!["web_payment".to_owned()],
            api_users: vec![self.web_payment.client_id.clone()],
        }
    }

    /// Web Payment's credentials in memory, their tokens cached under `key` and a hash of the
    /// keys themselves (replaced keys, in any process, never reuse a token).
    pub fn web_pay(&self, key: &str) -> WebPay {
        let w = &self.web_payment;
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(&(&self.country, &w.client_id, &w.client_secret), &mut h);
        WebPay {
            key: format!("{key}#{:016x}", std::hash::Hasher::finish(&h)),
            client_id: w.client_id.clone(),
            client_secret: SecretString::from(w.client_secret.clone()),
            merchant_key: SecretString::from(w.merchant_key.clone()),
            country: self.country.clone(),
        }
    }

    /// The currency code Web Payment takes for `currency` (Orange's sandbox knows only `OUV`).
    pub fn currency_code<'a>(&self, currency: &'a str) -> &'a str {
        if self.country == "dev" {
            "OUV"
        } else {
            currency
        }
    }
}

/// The settings held in `opened`; `None` when they do not read (the engine has checked them
/// with `Connector::read` before any call).
pub fn open(opened: &Opened) -> Option<Settings> {
    match Settings::sealed(opened) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e.message, "sealed Orange Money settings do not read");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn given() -> serde_json::Value {
        json!({"country": "ci", "web_payment": {"client_id": "cid",
            "client_secret": "s3cret", "merchant_key": "mk"}})
    }

    #[test]
    fn settings_are_checked_field_by_field_and_never_echo_a_secret() {
        assert!(Settings::given(given()).is_ok());
        let mut bad = given();
        bad["web_payment"]["client_secret"] = json!("with space");
        let e = Settings::given(bad).unwrap_err();
        assert_eq!(e.field, "web_payment");
        assert!(
            e.message.starts_with("web_payment.client_secret"),
            "{}",
            e.message
        );
        assert!(!e.message.contains("with space"));
        let mut bad = given();
        bad["country"] = json!("CI");
        assert_eq!(Settings::given(bad).unwrap_err().field, "country");
        let mut bad = given();
        bad["web_payment"]["extra"] = json!("x");
        assert!(Settings::given(bad).unwrap_err().message.contains("extra"));
        let s = Settings::given(given()).unwrap();
        assert!(!format!("{s:?}").contains("s3cret"));
        assert_eq!(s.summary().api_users, vec!["cid"]);
    }

    #[test]
    fn replaced_keys_never_share_a_token_and_the_sandbox_pays_in_ouv() {
        let a = Settings::given(given()).unwrap();
        let mut g = given();
        g["web_payment"]["client_secret"] = json!("other");
        let b = Settings::given(g).unwrap();
        assert_ne!(a.web_pay("m/orange_ci").key, b.web_pay("m/orange_ci").key);
        assert_eq!(a.currency_code("XOF"), "XOF");
        let mut g = given();
        g["country"] = json!("dev");
        assert_eq!(Settings::given(g).unwrap().currency_code("XOF"), "OUV");
    }
}
