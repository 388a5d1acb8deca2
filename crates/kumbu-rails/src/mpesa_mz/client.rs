//! M-Pesa's API over HTTP: where each operation is (its own port, or one port for a simulator),
//! the Bearer made fresh for every call, and what an answer says ([`Said`]).

use super::codes::{meaning, Meaning};
use super::settings::{public_key, Settings};
use super::wire::Answer;
use crate::connector::{http_client, CallError};
use base64::Engine as _;
use kumbu_core::FailureCode;
use std::time::Duration;

/// An operation of the API, each on its own port.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// C2B single stage: the payer is prompted; the call returns when they answer.
    C2b,
    /// B2C: money to a customer's wallet.
    B2c,
    /// The status of a transaction.
    Query,
    /// A reversal of a C2B transaction.
    Reversal,
}

impl Op {
    /// Every operation.
    pub const ALL: [Op; 4] = [Op::C2b, Op::B2c, Op::Query, Op::Reversal];

    /// Its port on M-Pesa's hosts.
    pub const fn port(self) -> u16 {
        match self {
            Op::C2b => 18352,
            Op::B2c => 18345,
            Op::Query => 18353,
            Op::Reversal => 18354,
        }
    }

    /// Its path.
    pub const fn path(self) -> &'static str {
        match self {
            Op::C2b => "/ipg/v1x/c2bPayment/singleStage/",
            Op::B2c => "/ipg/v1x/b2cPayment/",
            Op::Query => "/ipg/v1x/queryTransactionStatus/",
            Op::Reversal => "/ipg/v1x/reversal/",
        }
    }

    /// Its name in logs.
    pub const fn name(self) -> &'static str {
        match self {
            Op::C2b => "C2B",
            Op::B2c => "B2C",
            Op::Query => "query",
            Op::Reversal => "reversal",
        }
    }
}

/// What M-Pesa said to a call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Said {
    /// `INS-0`, with the answer.
    Done(Answer),
    /// `INS-10`: an earlier request with this reference exists.
    Duplicate,
    /// It did not happen: our code and M-Pesa's.
    Failed {
        /// Ours.
        code: FailureCode,
        /// M-Pesa's `INS-…` (or `HTTP_…` when it gave none).
        operator_code: String,
    },
    /// Unknown: a timeout, a reset, `INS-9`, a 5xx. Ask the query API.
    Unknown(String),
    /// Our API key was refused.
    Credentials(String),
}

/// M-Pesa's API at one base URL.
#[derive(Debug)]
pub struct Client {
    http: reqwest::Client,
    base: reqwest::Url,
    /// The base URL names a port: every operation goes there (a simulator on one port).
    one_port: bool,
    /// How long the C2B call may be held open.
    prompt_timeout: Duration,
}

impl Client {
    /// A client of the API at `base_url` (`https://api.mpesa.vm.co.mz`: each operation on its
    /// port; with a port, as `http://127.0.0.1:8094`: every operation on that one), waiting
    /// `timeout` for an answer, and `prompt_timeout` for a C2B call's.
    pub fn new(base_url: &str, timeout: Duration, prompt_timeout: Duration) -> Self {
        let base = reqwest::Url::parse(base_url)
            .unwrap_or_else(|_| reqwest::Url::parse(super::PRODUCTION_URL).expect("static URL"));
        Self {
            http: http_client(timeout),
            one_port: base.port().is_some(),
            base,
            prompt_timeout,
        }
    }

    /// Where `op` is.
    pub fn url(&self, op: Op) -> reqwest::Url {
        let mut url = self.base.clone();
        if !self.one_port {
            // A URL with a host always takes a port.
            let _ = url.set_port(Some(op.port()));
        }
        url.set_path(op.path());
        url
    }

    /// The Bearer of one call: the API key encrypted under M-Pesa's public key (PKCS#1 v1.5,
    /// whose random padding makes it new each time), in base64.
    fn bearer(creds: &Settings) -> Option<String> {
        let key = public_key(&creds.public_key)?;
        let sealed = key
            .encrypt(
                &mut rand::thread_rng(),
                rsa::Pkcs1v15Encrypt,
                creds.api_key.as_bytes(),
            )
            .ok()?;
        Some(base64::engine::general_purpose::STANDARD.encode(sealed))
    }

    /// Calls `op` with `body` (JSON; a query string for the query).
    pub async fn call(&self, op: Op, creds: &Settings, body: &impl serde::Serialize) -> Said {
        let Some(bearer) = Self::bearer(creds) else {
            return Said::Credentials("the public key does not encrypt the API key".to_owned());
        };
        let request = match op {
            Op::C2b => self
                .http
                .post(self.url(op))
                .json(body)
                .timeout(self.prompt_timeout),
            Op::B2c => self.http.post(self.url(op)).json(body),
            Op::Reversal => self.http.put(self.url(op)).json(body),
            Op::Query => self.http.get(self.url(op)).query(body),
        };
        let response = match request
            .bearer_auth(bearer)
            .header("Origin", "*")
            .send()
            .await
        {
            Ok(r) => r,
            Err(e) => return Said::Unknown(CallError::transport(&e).to_string()),
        };
        let status = response.status().as_u16();
        let answer: Option<Answer> = match response.bytes().await {
            Ok(bytes) => serde_json::from_slice(&bytes).ok(),
            Err(e) => return Said::Unknown(CallError::transport(&e).to_string()),
        };
        let code = answer.as_ref().and_then(|a| a.response_code.clone());
        let desc = answer
            .as_ref()
            .and_then(|a| a.response_desc.clone())
            .unwrap_or_default();
        match meaning(code.as_deref(), status) {
            Meaning::Done => match answer {
                Some(a) if (200..300).contains(&status) => Said::Done(a),
                Some(_) | None => Said::Unknown(format!("HTTP {status} with INS-0")),
            },
            Meaning::Duplicate => Said::Duplicate,
            Meaning::Undecided => Said::Unknown(format!(
                "HTTP {status} {} {desc}",
                code.as_deref().unwrap_or("(no code)")
            )),
            Meaning::Credentials => Said::Credentials(format!(
                "HTTP {status} {} {desc}",
                code.as_deref().unwrap_or_default()
            )),
            Meaning::Failed(ours) => Said::Failed {
                code: ours,
                operator_code: crate::connector::operator_code(status, code.unwrap_or_default()),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_operation_has_its_port_unless_the_url_names_one() {
        let prod = Client::new(
            super::super::PRODUCTION_URL,
            Duration::from_secs(1),
            Duration::from_secs(1),
        );
        assert_eq!(
            prod.url(Op::C2b).as_str(),
            "https://api.mpesa.vm.co.mz:18352/ipg/v1x/c2bPayment/singleStage/"
        );
        assert_eq!(prod.url(Op::Query).port(), Some(18353));
        let sim = Client::new(
            "http://127.0.0.1:8094",
            Duration::from_secs(1),
            Duration::from_secs(1),
        );
        for op in Op::ALL {
            assert_eq!(sim.url(op).port(), Some(8094));
        }
        assert_eq!(sim.url(Op::Reversal).path(), "/ipg/v1x/reversal/");
    }
}
