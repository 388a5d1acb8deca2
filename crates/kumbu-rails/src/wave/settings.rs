//! A merchant's Wave credentials: as given (the API's body, the CLI's file) and sealed
//! ([`Settings`], checked field by field). Wave's API key is itself the Bearer token.

use crate::connector::{check_text, read_given, read_sealed, Opened, SettingsError, Summary};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// Wave credentials as given and as sealed (JSON). Never logged, never returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The API key from Wave's business portal (`wave_ci_prod_…`), with the Checkout API
    /// enabled.
    pub api_key: String,
    /// The webhook's signing secret (`Wave-Signature`), shown once when the webhook is made in
    /// Wave's portal. Without it, Wave's webhooks are ignored and statuses are polled.
    #[serde(default)]
    pub webhook_secret: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("webhook_secret", &self.webhook_secret.as_ref().map(|_| "…"))
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Checks the settings.
    pub fn check(&self) -> Result<(), SettingsError> {
        check_text("api_key", &self.api_key, 256)?;
        if !self.api_key.starts_with("wave_") {
            return Err(SettingsError {
                field: "api_key",
                message: "api_key is the key from Wave's business portal; it starts with wave_ (e.g. wave_ci_prod_…)".into(),
            });
        }
        if let Some(s) = &self.webhook_secret {
            check_text("webhook_secret", s, 256)?;
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
        read_sealed(opened, "Wave")
    }

    /// What may be shown of them: the key's market (`wave_ci_prod` → `ci`), never the key.
    pub fn summary(&self) -> Summary {
        let market = self
            .api_key
            .strip_prefix("wave_")
            .and_then(|r| r.split('_').next())
            .unwrap_or_default()
            .to_owned();
        Summary {
            target_environment: market,
            callback_host: None,
            products: vec!["checkout".to_owned()],
            api_users: Vec::new(),
        }
    }

    /// The API key, as a secret.
    pub fn key(&self) -> SecretString {
        SecretString::from(self.api_key.clone())
    }
}

/// The settings held in `opened`; `None` when they do not read.
pub fn open(opened: &Opened) -> Option<Settings> {
    match Settings::sealed(opened) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e.message, "sealed Wave settings do not read");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn settings_are_checked_and_never_shown() {
        let s = Settings::given(json!({"api_key": "wave_ci_prod_s3cret", "webhook_secret": "wh"}))
            .unwrap();
        assert_eq!(s.summary().target_environment, "ci");
        assert!(!format!("{s:?}").contains("s3cret") && !format!("{s:?}").contains("wh\""));
        let e = Settings::given(json!({"api_key": "sk_live_x"})).unwrap_err();
        assert_eq!(e.field, "api_key");
        assert!(!e.message.contains("sk_live_x"));
        assert!(Settings::given(json!({"api_key": "wave_ci_prod_x", "other": 1})).is_err());
    }
}
