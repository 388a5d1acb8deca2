//! A merchant's ProxyPay credentials: its API key, which is also what ProxyPay signs its webhooks
//! with (`X-Signature`).

use crate::connector::{check_text, read_given, read_sealed, Opened, SettingsError, Summary};
use serde::{Deserialize, Serialize};

/// ProxyPay credentials as given and as sealed (JSON). Never logged, never returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The API key from ProxyPay (`Authorization: Token …`).
    pub api_key: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings").finish_non_exhaustive()
    }
}

impl Settings {
    /// Reads settings as a merchant gave them, checked.
    pub fn given(given: serde_json::Value) -> Result<Self, SettingsError> {
        let s: Settings = read_given(given)?;
        check_text("api_key", &s.api_key, 256)?;
        Ok(s)
    }

    /// The settings sealed in `opened`.
    pub fn sealed(opened: &Opened) -> Result<Self, SettingsError> {
        read_sealed(opened, "ProxyPay")
    }

    /// What may be shown of them: nothing secret.
    pub fn summary(&self) -> Summary {
        Summary {
            target_environment: "ao".to_owned(),
            callback_host: None,
            products: vec!["references".to_owned(), "payments".to_owned()],
            api_users: Vec::new(),
        }
    }
}

/// The settings held in `opened`; `None` when they do not read.
pub fn open(opened: &Opened) -> Option<Settings> {
    match Settings::sealed(opened) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e.message, "sealed ProxyPay settings do not read");
            None
        }
    }
}
