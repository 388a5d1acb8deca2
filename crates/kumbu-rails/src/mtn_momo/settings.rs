//! A merchant's MTN credentials: as given (the API's body, the CLI's file) and sealed
//! ([`Settings`], checked field by field), and in memory ([`Credentials`], secrets as
//! `SecretString`, named by a hash of the keys so that replaced keys never reuse a token).

use crate::connector::{check_text, read_given, read_sealed, Opened, SettingsError, Summary};
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

/// An MTN product: each has its own subscription key, API user and token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Product {
    /// Collections: request to pay, account holder.
    Collection,
    /// Disbursements: transfers (payouts).
    Disbursement,
}

impl Product {
    /// Both products.
    pub const ALL: [Product; 2] = [Product::Collection, Product::Disbursement];

    /// MTN's path segment.
    pub const fn as_str(self) -> &'static str {
        match self {
            Product::Collection => "collection",
            Product::Disbursement => "disbursement",
        }
    }
}

/// One product's keys, as MTN's partner portal (or the sandbox's provisioning) issues them.
#[derive(Clone)]
pub struct ProductKeys {
    /// `Ocp-Apim-Subscription-Key`.
    pub subscription_key: SecretString,
    /// The API user (a UUID).
    pub api_user: String,
    /// The API key.
    pub api_key: SecretString,
}

impl std::fmt::Debug for ProductKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductKeys")
            .field("api_user", &self.api_user)
            .finish_non_exhaustive()
    }
}

/// A merchant's MTN credentials for one operator (`mtn_ci` or `mtn_cm`).
#[derive(Debug, Clone)]
pub struct Credentials {
    /// Whose they are (`<merchant>/<operator>`): names their tokens in the cache.
    pub key: String,
    /// `X-Target-Environment`: `mtnivorycoast`, `mtncameroon` (or `sandbox`).
    pub target_environment: String,
    /// The callback host registered with MTN (`providerCallbackHost`); MTN refuses callbacks to
    /// any other host.
    pub callback_host: Option<String>,
    /// Collection keys (payments).
    pub collection: Option<ProductKeys>,
    /// Disbursement keys (payouts and refunds).
    pub disbursement: Option<ProductKeys>,
}

impl Credentials {
    /// The keys of `product`, if configured.
    pub fn product(&self, product: Product) -> Option<&ProductKeys> {
        match product {
            Product::Collection => self.collection.as_ref(),
            Product::Disbursement => self.disbursement.as_ref(),
        }
    }
}

/// One product's keys as given by the CLI or the API, and as sealed at rest.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductSettings {
    /// `Ocp-Apim-Subscription-Key`.
    pub subscription_key: String,
    /// The API user.
    pub api_user: String,
    /// The API key.
    pub api_key: String,
}

impl std::fmt::Debug for ProductSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProductSettings")
            .field("api_user", &self.api_user)
            .finish_non_exhaustive()
    }
}

/// MTN credentials as given and as sealed (JSON). Never logged, never returned.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// `X-Target-Environment`.
    pub target_environment: String,
    /// The registered callback host.
    #[serde(default)]
    pub callback_host: Option<String>,
    /// Collection keys.
    #[serde(default)]
    pub collection: Option<ProductSettings>,
    /// Disbursement keys.
    #[serde(default)]
    pub disbursement: Option<ProductSettings>,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("target_environment", &self.target_environment)
            .field("callback_host", &self.callback_host)
            .finish_non_exhaustive()
    }
}

impl Settings {
    /// Checks the settings: a target environment, at least one product, each complete.
    pub fn check(&self) -> Result<(), SettingsError> {
        check_text("target_environment", &self.target_environment, 64)?;
        if !self
            .target_environment
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        {
            return Err(SettingsError {
                field: "target_environment",
                message: "target_environment is MTN's name for the market, e.g. mtnivorycoast or mtncameroon (or sandbox)".into(),
            });
        }
        if let Some(h) = &self.callback_host {
            check_text("callback_host", h, 253)?;
            if h.contains('/') || h.contains(':') {
                return Err(SettingsError {
                    field: "callback_host",
                    message: "callback_host is a host name only (e.g. pay.example.com), as registered with MTN".into(),
                });
            }
        }
        if self.collection.is_none() && self.disbursement.is_none() {
            return Err(SettingsError {
                field: "collection",
                message:
                    "give the collection keys (payments), the disbursement keys (payouts), or both"
                        .into(),
            });
        }
        for (name, p) in [
            ("collection", &self.collection),
            ("disbursement", &self.disbursement),
        ] {
            if let Some(p) = p {
                check_text(name, &p.subscription_key, 128).map_err(|e| SettingsError {
                    message: format!("{name}.subscription_key: {}", e.message),
                    ..e
                })?;
                check_text(name, &p.api_user, 128).map_err(|e| SettingsError {
                    message: format!("{name}.api_user: {}", e.message),
                    ..e
                })?;
                check_text(name, &p.api_key, 256).map_err(|e| SettingsError {
                    message: format!("{name}.api_key: {}", e.message),
                    ..e
                })?;
            }
        }
        Ok(())
    }

    /// The products configured.
    pub fn products(&self) -> Vec<Product> {
        Product::ALL
            .into_iter()
            .filter(|p| match p {
                Product::Collection => self.collection.is_some(),
                Product::Disbursement => self.disbursement.is_some(),
            })
            .collect()
    }

    /// The credentials in memory, named `key`.
    pub fn into_credentials(self, key: String) -> Credentials {
        let keys = |p: ProductSettings| ProductKeys {
            subscription_key: SecretString::from(p.subscription_key),
            api_user: p.api_user,
            api_key: SecretString::from(p.api_key),
        };
        // Tokens belong to these very keys: replaced keys (in any process) never reuse them.
        let mut h = std::collections::hash_map::DefaultHasher::new();
        std::hash::Hash::hash(
            &(
                &self.target_environment,
                &self
                    .collection
                    .as_ref()
                    .map(|p| (&p.api_user, &p.api_key, &p.subscription_key)),
                &self
                    .disbursement
                    .as_ref()
                    .map(|p| (&p.api_user, &p.api_key, &p.subscription_key)),
            ),
            &mut h,
        );
        let key = format!("{key}#{:016x}", std::hash::Hasher::finish(&h));
        Credentials {
            key,
            target_environment: self.target_environment,
            callback_host: self.callback_host,
            collection: self.collection.map(keys),
            disbursement: self.disbursement.map(keys),
        }
    }
}

impl Settings {
    /// What may be shown of them.
    pub fn summary(&self) -> Summary {
        Summary {
            target_environment: self.target_environment.clone(),
            callback_host: self.callback_host.clone(),
            products: self
                .products()
                .iter()
                .map(|p| p.as_str().to_owned())
                .collect(),
            api_users: [&self.collection, &self.disbursement]
                .into_iter()
                .flatten()
                .map(|p| p.api_user.clone())
                .collect(),
        }
    }

    /// Reads settings as a merchant gave them, checked.
    pub fn given(given: serde_json::Value) -> Result<Self, SettingsError> {
        let s: Settings = read_given(given)?;
        s.check()?;
        Ok(s)
    }
}

impl Settings {
    /// The settings sealed in `opened`.
    pub fn sealed(opened: &Opened) -> Result<Self, SettingsError> {
        read_sealed(opened, "MTN")
    }
}

impl Credentials {
    /// The credentials held in `opened`; `None` when they do not read as MTN settings (the
    /// engine has checked them with `Connector::read` before any call).
    pub fn open(opened: &Opened) -> Option<Self> {
        match Settings::sealed(opened) {
            Ok(s) => Some(s.into_credentials(opened.key.clone())),
            Err(e) => {
                tracing::error!(error = %e.message, "sealed MTN settings do not read");
                None
            }
        }
    }
}
