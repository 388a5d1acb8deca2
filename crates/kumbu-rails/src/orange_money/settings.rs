//! A merchant's Orange Money credentials: as given (the API's body, the CLI's file) and sealed
//! ([`Settings`], checked field by field), and in memory ([`WebPay`], secrets as
//! `SecretString`, named by a hash of the keys so that replaced keys never reuse a token).

use super::client::{Prompt, WebPay};
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

/// Cameroon's prompt API (`mp`): the consumer's keys, the API user, and the merchant's channel
/// number and PIN, as Orange Cameroon issues them.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PromptSettings {
    /// The consumer key (`POST /token`).
    pub consumer_key: String,
    /// The consumer secret.
    pub consumer_secret: String,
    /// The API user of `X-AUTH-TOKEN`.
    pub api_username: String,
    /// Its password.
    pub api_password: String,
    /// The merchant's channel number, without 237.
    pub channel_msisdn: String,
    /// The channel user's PIN.
    pub pin: String,
}

impl std::fmt::Debug for PromptSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PromptSettings")
            .field("consumer_key", &self.consumer_key)
            .field("api_username", &self.api_username)
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
    /// Web Payment (the payer pays on Orange's page): what `orange_ci` needs.
    #[serde(default)]
    pub web_payment: Option<WebPaySettings>,
    /// Cameroon's prompt API (the payer approves on their phone): what `orange_cm` needs.
    #[serde(default)]
    pub cameroon_prompt: Option<PromptSettings>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("country", &self.country)
            .field("web_payment", &self.web_payment)
            .field("cameroon_prompt", &self.cameroon_prompt)
            .finish()
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
        if self.web_payment.is_none() && self.cameroon_prompt.is_none() {
            return Err(SettingsError {
                field: "web_payment",
                message: "give web_payment (Web Payment's keys: the payer pays on Orange's page), cameroon_prompt (Orange Cameroon's prompt API), or both".into(),
            });
        }
        let mut fields: Vec<(&str, &str, usize)> = Vec::new();
        if let Some(w) = &self.web_payment {
            fields.extend([
                ("web_payment.client_id", w.client_id.as_str(), 128),
                ("web_payment.client_secret", w.client_secret.as_str(), 256),
                ("web_payment.merchant_key", w.merchant_key.as_str(), 128),
            ]);
        }
        if let Some(p) = &self.cameroon_prompt {
            fields.extend([
                ("cameroon_prompt.consumer_key", p.consumer_key.as_str(), 256),
                (
                    "cameroon_prompt.consumer_secret",
                    p.consumer_secret.as_str(),
                    256,
                ),
                ("cameroon_prompt.api_username", p.api_username.as_str(), 128),
                ("cameroon_prompt.api_password", p.api_password.as_str(), 256),
                (
                    "cameroon_prompt.channel_msisdn",
                    p.channel_msisdn.as_str(),
                    9,
                ),
                ("cameroon_prompt.pin", p.pin.as_str(), 16),
            ]);
            if p.channel_msisdn.len() != 9 || !p.channel_msisdn.bytes().all(|b| b.is_ascii_digit())
            {
                return Err(SettingsError {
                    field: "cameroon_prompt",
                    message: "cameroon_prompt.channel_msisdn is the merchant's Orange number, 9 digits without 237".into(),
                });
            }
        }
        for (name, value, max) in fields {
            let section = if name.starts_with("web_payment") {
                "web_payment"
            } else {
                "cameroon_prompt"
            };
            check_text(section, value, max).map_err(|e| SettingsError {
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
            products: [
                self.web_payment.as_ref().map(|_| "web_payment".to_owned()),
                self.cameroon_prompt
                    .as_ref()
                    .map(|_| "cameroon_prompt".to_owned()),
            ]
            .into_iter()
            .flatten()
            .collect(),
            api_users: [
                self.web_payment.as_ref().map(|w| w.client_id.clone()),
                self.cameroon_prompt
                    .as_ref()
                    .map(|p| p.api_username.clone()),
            ]
            .into_iter()
            .flatten()
            .collect(),
        }
    }

    /// Web Payment's credentials in memory, their tokens cached under `key` and a hash of the
    /// keys themselves (replaced keys, in any process, never reuse a token).
    pub fn web_pay(&self, key: &str) -> Option<WebPay> {
        let w = self.web_payment.as_ref()?;
        Some(WebPay {
            key: format!(
                "{key}#{}",
                hash_of(&(&self.country, &w.client_id, &w.client_secret))
            ),
            client_id: w.client_id.clone(),
            client_secret: SecretString::from(w.client_secret.clone()),
            merchant_key: SecretString::from(w.merchant_key.clone()),
            country: self.country.clone(),
        })
    }

    /// Cameroon's prompt credentials in memory, cached as [`Settings::web_pay`]'s.
    pub fn prompt(&self, key: &str) -> Option<Prompt> {
        let p = self.cameroon_prompt.as_ref()?;
        Some(Prompt {
            key: format!(
                "{key}#prompt#{}",
                hash_of(&(&p.consumer_key, &p.consumer_secret))
            ),
            consumer_key: p.consumer_key.clone(),
            consumer_secret: SecretString::from(p.consumer_secret.clone()),
            api_username: p.api_username.clone(),
            api_password: SecretString::from(p.api_password.clone()),
            channel_msisdn: p.channel_msisdn.clone(),
            pin: SecretString::from(p.pin.clone()),
        })
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

fn hash_of(v: &impl std::hash::Hash) -> String {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    v.hash(&mut h);
    format!("{:016x}", std::hash::Hasher::finish(&h))
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
        // Neither product: refused, naming both.
        let e = Settings::given(json!({"country": "cm"})).unwrap_err();
        assert!(e.message.contains("cameroon_prompt"), "{}", e.message);
        let prompt = json!({"country": "cm", "cameroon_prompt": {"consumer_key": "ck",
            "consumer_secret": "cs", "api_username": "u", "api_password": "p",
            "channel_msisdn": "691234567", "pin": "2222"}});
        let s = Settings::given(prompt.clone()).unwrap();
        assert_eq!(s.summary().products, vec!["cameroon_prompt"]);
        assert!(s.web_pay("k").is_none() && s.prompt("k").is_some());
        assert!(!format!("{s:?}").contains("2222"));
        let mut bad = prompt;
        bad["cameroon_prompt"]["channel_msisdn"] = json!("237691234567");
        assert_eq!(Settings::given(bad).unwrap_err().field, "cameroon_prompt");
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
        assert_ne!(
            a.web_pay("m/orange_ci").unwrap().key,
            b.web_pay("m/orange_ci").unwrap().key
        );
        assert_eq!(a.currency_code("XOF"), "XOF");
        let mut g = given();
        g["country"] = json!("dev");
        assert_eq!(Settings::given(g).unwrap().currency_code("XOF"), "OUV");
    }
}
