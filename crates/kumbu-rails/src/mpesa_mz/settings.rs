//! A merchant's M-Pesa Mozambique credentials: as given (the API's body, the CLI's file) and
//! sealed ([`Settings`], checked field by field). M-Pesa has no token endpoint: every call's
//! Bearer is the API key encrypted under Vodacom's public key (`client.rs`).

use crate::connector::{check_text, read_given, read_sealed, Opened, SettingsError, Summary};
use base64::Engine as _;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use serde::{Deserialize, Serialize};

/// M-Pesa credentials as given and as sealed (JSON). Never logged, never returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// The API key from Vodacom's developer portal.
    pub api_key: String,
    /// The portal's public key: base64 (as the portal shows it) or PEM.
    pub public_key: String,
    /// The merchant's short code (`input_ServiceProviderCode`): 5 or 6 digits.
    pub service_provider_code: String,
    /// The initiator reversals are made by (`input_InitiatorIdentifier`). With
    /// `security_credential`, it is what refunds need.
    #[serde(default)]
    pub initiator_identifier: Option<String>,
    /// The initiator's security credential (`input_SecurityCredential`).
    #[serde(default)]
    pub security_credential: Option<String>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("service_provider_code", &self.service_provider_code)
            .field("initiator_identifier", &self.initiator_identifier)
            .finish_non_exhaustive()
    }
}

/// Reads an RSA public key given as base64 DER (SubjectPublicKeyInfo, as Vodacom's portal shows
/// it; or PKCS#1) or as PEM.
pub fn public_key(text: &str) -> Option<RsaPublicKey> {
    let body: String = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let der = base64::engine::general_purpose::STANDARD
        .decode(body.as_bytes())
        .ok()?;
    RsaPublicKey::from_public_key_der(&der)
        .or_else(|_| RsaPublicKey::from_pkcs1_der(&der))
        .ok()
}

impl Settings {
    /// Checks the settings.
    pub fn check(&self) -> Result<(), SettingsError> {
        check_text("api_key", &self.api_key, 256)?;
        if public_key(&self.public_key).is_none() {
            return Err(SettingsError {
                field: "public_key",
                message: "public_key must be the RSA public key from Vodacom's developer portal, in base64 (MIIC…) or PEM".into(),
            });
        }
        let code = &self.service_provider_code;
        if !(5..=6).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(SettingsError {
                field: "service_provider_code",
                message: "service_provider_code is the merchant's M-Pesa short code: 5 or 6 digits (e.g. 171717)".into(),
            });
        }
        match (&self.initiator_identifier, &self.security_credential) {
            (Some(i), Some(c)) => {
                check_text("initiator_identifier", i, 128)?;
                check_text("security_credential", c, 256)?;
            }
            (None, None) => {}
            (Some(_), None) | (None, Some(_)) => {
                return Err(SettingsError {
                    field: "security_credential",
                    message: "initiator_identifier and security_credential go together (refunds are reversals made by that initiator); give both or neither".into(),
                })
            }
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
        read_sealed(opened, "M-Pesa")
    }

    /// Whether reversals (refunds) can be made: an initiator and its credential are set.
    pub fn reverses(&self) -> bool {
        self.initiator_identifier.is_some() && self.security_credential.is_some()
    }

    /// What may be shown of them: the short code and the initiator, never a key or credential.
    pub fn summary(&self) -> Summary {
        let mut products = vec!["c2b".to_owned(), "b2c".to_owned()];
        if self.reverses() {
            products.push("reversal".to_owned());
        }
        Summary {
            target_environment: "mz".to_owned(),
            callback_host: None,
            products,
            api_users: std::iter::once(self.service_provider_code.clone())
                .chain(self.initiator_identifier.clone())
                .collect(),
        }
    }
}

/// The settings held in `opened`; `None` when they do not read.
pub fn open(opened: &Opened) -> Option<Settings> {
    match Settings::sealed(opened) {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::error!(error = %e.message, "sealed M-Pesa settings do not read");
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
        let key = crate::mpesa_mz::simulator::Keys::for_tests().public_base64();
        let s = Settings::given(json!({"api_key": "s3cret", "public_key": key,
            "service_provider_code": "171717", "initiator_identifier": "init",
            "security_credential": "Mpesa2019"}))
        .unwrap();
        assert!(s.reverses());
        assert_eq!(s.summary().products, ["c2b", "b2c", "reversal"]);
        let shown = format!("{s:?} {:?}", s.summary());
        assert!(
            !shown.contains("s3cret") && !shown.contains("Mpesa2019"),
            "{shown}"
        );
        let pem = format!("-----BEGIN PUBLIC KEY-----\n{key}\n-----END PUBLIC KEY-----\n");
        assert!(public_key(&pem).is_some());
        for (bad, field) in [
            (
                json!({"api_key": "k", "public_key": "nope", "service_provider_code": "171717"}),
                "public_key",
            ),
            (
                json!({"api_key": "k", "public_key": key, "service_provider_code": "17a717"}),
                "service_provider_code",
            ),
            (
                json!({"api_key": "k", "public_key": key, "service_provider_code": "171717", "initiator_identifier": "i"}),
                "security_credential",
            ),
        ] {
            let e = Settings::given(bad).unwrap_err();
            assert_eq!(e.field, field, "{}", e.message);
        }
        assert!(Settings::given(json!({"api_key": "k", "public_key": key,
            "service_provider_code": "171717", "other": 1}))
        .is_err());
    }
}
