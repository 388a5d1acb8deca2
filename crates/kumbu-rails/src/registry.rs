//! The one list of connectors: which operator each carries, and how each is set up. Adding an
//! operator protocol is a folder beside `mtn_momo/` and one line in [`Registry::new`] (and its
//! URL in [`OperatorUrls`]).

use crate::connector::Connector;
use crate::mpesa_mz::{self, MpesaMz};
use crate::mtn_momo::{self, MtnMomo};
use crate::orange_money::{self, OrangeMoney};
use crate::proxypay::{self, ProxyPay};
use crate::wave::{self, Wave};
use kumbu_core::Operator;
use std::sync::Arc;
use std::time::Duration;

/// Where each connector reaches its operator's API: production by default, a simulator in tests
/// and rehearsals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperatorUrls {
    /// MTN MoMo's Open API (`--mtn-momo-url`).
    pub mtn_momo: String,
    /// Orange's APIs (`--orange-money-url`).
    pub orange_money: String,
    /// Wave's API (`--wave-url`).
    pub wave: String,
    /// M-Pesa Mozambique's API (`--mpesa-mz-url`).
    pub mpesa_mz: String,
    /// ProxyPay's API, upstream for live Multicaixa references (`--proxypay-url`).
    pub proxypay: String,
}

impl Default for OperatorUrls {
    fn default() -> Self {
        Self {
            mtn_momo: mtn_momo::PRODUCTION_URL.to_owned(),
            orange_money: orange_money::PRODUCTION_URL.to_owned(),
            wave: wave::PRODUCTION_URL.to_owned(),
            mpesa_mz: mpesa_mz::PRODUCTION_URL.to_owned(),
            proxypay: proxypay::PRODUCTION_URL.to_owned(),
        }
    }
}

/// How the connectors are built.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The operators' APIs.
    pub urls: OperatorUrls,
    /// The gateway's public URL, under which operators call back (`None`: no callbacks, statuses
    /// are polled).
    pub callback_base: Option<String>,
    /// How often an undecided status is asked.
    pub poll_every: Duration,
    /// How long one call to an operator may take.
    pub timeout: Duration,
    /// How long a call held open until the payer answers (M-Pesa's C2B) may take.
    pub prompt_timeout: Duration,
}

/// The connectors, found by the operator they carry or by their callback path.
#[derive(Debug)]
pub struct Registry {
    connectors: Vec<Arc<dyn Connector>>,
}

impl Registry {
    /// Every connector Kumbu has, set up with `setup`.
    pub fn new(setup: &Setup) -> Self {
        let callback = setup.callback_base.as_deref();
        Self {
            connectors: vec![
                Arc::new(MtnMomo::new(
                    &setup.urls.mtn_momo,
                    callback,
                    setup.poll_every,
                    setup.timeout,
                )),
                Arc::new(OrangeMoney::new(
                    &setup.urls.orange_money,
                    callback,
                    setup.poll_every,
                    setup.timeout,
                )),
                Arc::new(Wave::new(
                    &setup.urls.wave,
                    callback,
                    setup.poll_every,
                    setup.timeout,
                )),
                Arc::new(MpesaMz::new(
                    &setup.urls.mpesa_mz,
                    setup.poll_every,
                    setup.timeout,
                    setup.prompt_timeout,
                )),
                Arc::new(ProxyPay::new(&setup.urls.proxypay, callback, setup.timeout)),
            ],
        }
    }

    /// The connector that carries live payments for `op`, if Kumbu has one.
    pub fn for_operator(&self, op: Operator) -> Option<&Arc<dyn Connector>> {
        self.connectors.iter().find(|c| c.operators().contains(&op))
    }

    /// The connector whose callbacks arrive under `/callbacks/<slug>/`.
    pub fn by_slug(&self, slug: &str) -> Option<&Arc<dyn Connector>> {
        self.connectors.iter().find(|c| c.slug() == slug)
    }

    /// Every connector.
    pub fn all(&self) -> &[Arc<dyn Connector>] {
        &self.connectors
    }

    /// The operators some connector carries, in the order of [`Operator::ALL`].
    pub fn operators(&self) -> Vec<Operator> {
        Operator::ALL
            .iter()
            .copied()
            .filter(|op| self.for_operator(*op).is_some())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn registry() -> Registry {
        Registry::new(&Setup {
            urls: OperatorUrls::default(),
            callback_base: Some("https://pay.example.com".into()),
            poll_every: Duration::from_secs(5),
            timeout: Duration::from_secs(5),
            prompt_timeout: Duration::from_secs(120),
        })
    }

    #[test]
    fn each_operator_has_at_most_one_connector_and_each_slug_one_connector() {
        let r = registry();
        for op in Operator::ALL {
            let n = r
                .all()
                .iter()
                .filter(|c| c.operators().contains(&op))
                .count();
            assert!(n <= 1, "{} is carried by {n} connectors", op.code());
        }
        for c in r.all() {
            assert!(std::ptr::eq(
                Arc::as_ptr(r.by_slug(c.slug()).unwrap()).cast::<u8>(),
                Arc::as_ptr(c).cast::<u8>()
            ));
        }
        assert_eq!(
            r.operators(),
            vec![
                Operator::Multicaixa,
                Operator::MpesaMz,
                Operator::OrangeCi,
                Operator::MtnCi,
                Operator::WaveCi,
                Operator::OrangeCm,
                Operator::MtnCm
            ]
        );
    }

    #[test]
    fn callbacks_arrive_under_the_slug() {
        let r = registry();
        let mtn = r.for_operator(Operator::MtnCi).unwrap();
        assert_eq!(
            mtn.callback_url("r1").as_deref(),
            Some("https://pay.example.com/callbacks/mtn-momo/r1")
        );
    }

    #[test]
    fn sealed_settings_that_do_not_read_are_refused_not_taken_for_none() {
        use crate::connector::{Duty, Opened};
        use secrecy::SecretString;
        let r = registry();
        let mtn = r.for_operator(Operator::MtnCi).unwrap();
        let given = serde_json::json!({"target_environment": "mtnivorycoast",
            "collection": {"subscription_key": "s", "api_user": "u", "api_key": "k"}});
        let checked = mtn.settings(given).unwrap();
        let good = Opened {
            key: "mer_1/mtn_ci".into(),
            settings: checked.sealed,
        };
        assert!(mtn.read(&good).is_ok());
        assert!(mtn.can(&good, Duty::Collect));
        assert!(!mtn.can(&good, Duty::Disburse));
        // A field this version does not know (sealed by a newer one): an error, not "no keys".
        let newer = Opened {
            key: "mer_1/mtn_ci".into(),
            settings: SecretString::from(
                r#"{"target_environment":"sandbox","collection":null,"disbursement":null,"later":1}"#,
            ),
        };
        let e = mtn.read(&newer).unwrap_err();
        assert!(e.message.contains("later"), "{}", e.message);
        assert!(
            !e.message.contains("sandbox"),
            "no value echoed: {}",
            e.message
        );
    }
}
