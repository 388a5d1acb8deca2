//! ProxyPay as Kumbu's upstream for live Multicaixa references, against another Kumbu playing
//! ProxyPay (its ProxyPay face in test mode, whose mock payments stand for Multicaixa payers),
//! over real sockets: live references issued, updated and deleted there; its signed webhook and
//! its queue both bring the payments, each recorded once and acknowledged after the commit;
//! forged webhooks refused; a refusal and a silence told to the caller.

use crate::harness::{Backend, Opts, TestApp, KEY};
use hmac::{Hmac, Mac};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use sha2::Sha256;
use std::time::{Duration, Instant};

const H: &str = "application/vnd.proxypay.v2+json";

struct Pair {
    /// The gateway's Kumbu: "ProxyPay", its sandbox key the merchant's ProxyPay API key.
    upstream: TestApp,
    /// The merchant's Kumbu, in live mode.
    main: TestApp,
    live: String,
    merchant: String,
}

impl Pair {
    async fn start(backend: Backend, test: &str) -> Option<Pair> {
        let upstream = TestApp::spawn_with(
            backend,
            &format!("{test}_gateway"),
            Opts {
                workers: true,
                ..Opts::default()
            },
        )
        .await?;
        let main = TestApp::spawn_with(
            backend,
            test,
            Opts {
                proxypay_url: Some(upstream.url("/compat/proxypay")),
                ..Opts::default()
            },
        )
        .await?;
        let merchant = main.sandbox_merchant().await;
        let key = main
            .engine
            .create_api_key(&merchant, kumbu_core::Mode::Live)
            .await
            .unwrap();
        let live = secrecy::ExposeSecret::expose_secret(&key.secret).to_owned();
        Some(Pair {
            upstream,
            main,
            live,
            merchant,
        })
    }

    /// A request to the merchant's Kumbu with its live key, ProxyPay's way for the face.
    async fn main(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let text = body.map(|b| b.to_string());
        let auth = if path.starts_with("/compat/proxypay") {
            format!("Token {}", self.live)
        } else {
            format!("Bearer {}", self.live)
        };
        let (s, _, v) = self
            .main
            .send(
                method,
                path,
                text.as_deref(),
                &[("Authorization", &auth), ("Accept", H)],
            )
            .await;
        (s, v)
    }

    /// The gateway's reference `id`, as it holds it (its native API, with its key).
    async fn at_gateway(&self, id: u64) -> Value {
        let (s, v) = self.upstream.get(&format!("/v1/references/{id:09}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// A Multicaixa payer pays `id` at the gateway.
    async fn pay_at_gateway(&self, id: u64, amount: &str) -> Value {
        let (s, _, v) = self
            .upstream
            .send(
                Method::POST,
                "/compat/proxypay/payments",
                Some(&json!({"reference_id": id, "amount": amount}).to_string()),
                &[("Authorization", &format!("Token {KEY}")), ("Accept", H)],
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// The merchant's live payments of reference `id`.
    async fn payments_of(&self, id: u64) -> Vec<Value> {
        let (s, v) = self.main(Method::GET, "/v1/payments?limit=100", None).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| {
                p["bank_reference"]["reference_id"] == json!(id)
                    || p["bank_reference"]["reference"] == json!(format!("{id:09}"))
            })
            .cloned()
            .collect()
    }

    async fn until_recorded(&self, id: u64, n: usize) -> Vec<Value> {
        let start = Instant::now();
        loop {
            let got = self.payments_of(id).await;
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "payment of {id} never recorded"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// What the gateway still queues for the merchant.
    async fn gateway_queue(&self) -> Vec<Value> {
        let (_, _, v) = self
            .upstream
            .send(
                Method::GET,
                "/compat/proxypay/payments?n=100",
                None,
                &[("Authorization", &format!("Token {KEY}")), ("Accept", H)],
            )
            .await;
        v.as_array().cloned().unwrap_or_default()
    }
}

fn signature(key: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

async fn references_and_payments_through_proxypay(backend: Backend) {
    let Some(p) = Pair::start(backend, "references_through_proxypay").await else {
        return;
    };
    // The merchant's ProxyPay key, as connector credentials; where ProxyPay's webhook goes.
    let (s, v) = p
        .main(
            Method::PUT,
            "/v1/connectors/proxypay",
            Some(json!({"api_key": KEY})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["operator"], "multicaixa", "{v}");
    assert!(!v.to_string().contains(KEY), "{v}");
    let hook = v["callback_url"].as_str().unwrap().to_owned();
    assert!(
        hook.ends_with(&format!("/callbacks/proxypay/{}", p.merchant)),
        "{v}"
    );

    // A live reference through the ProxyPay face: issued at ProxyPay, same id and amount.
    let id = 123_456_789u64;
    let (s, v) = p
        .main(
            Method::PUT,
            &format!("/compat/proxypay/references/{id}"),
            Some(json!({"amount": "3000.00", "custom_fields": {"invoice": "FT 2026/7"}})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    let g = p.at_gateway(id).await;
    assert_eq!(
        (g["amount"].as_i64(), g["status"].as_str()),
        (Some(300_000), Some("active")),
        "{g}"
    );
    assert_eq!(g["custom_fields"]["invoice"], "FT 2026/7", "{g}");
    // Updated there too; and one made by the native API, under a fresh id.
    let (s, _) = p
        .main(
            Method::PUT,
            &format!("/compat/proxypay/references/{id}"),
            Some(json!({"amount": "3500.00", "custom_fields": {"invoice": "FT 2026/7"}})),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(p.at_gateway(id).await["amount"].as_i64(), Some(350_000));
    let (s, r) = p
        .main(
            Method::POST,
            "/v1/references",
            Some(json!({"amount": 120_000})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{r}");
    let native: u64 = r["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(p.at_gateway(native).await["amount"].as_i64(), Some(120_000));

    // ProxyPay's webhook to the merchant's Kumbu (signed with the key, ProxyPay's way).
    let (s, v) = p
        .upstream
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": hook, "format": "proxypay"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let endpoint = v["id"].as_str().unwrap().to_owned();
    let paid = p.pay_at_gateway(id, "3500.00").await;
    let got = p.until_recorded(id, 1).await;
    let payment = &got[0];
    assert_eq!(
        (
            payment["status"].as_str(),
            payment["amount"].as_i64(),
            payment["livemode"].as_bool(),
            payment["payer"]["operator"].as_str()
        ),
        (
            Some("settled"),
            Some(350_000),
            Some(true),
            Some("multicaixa")
        ),
        "{payment}"
    );
    assert_eq!(payment["metadata"]["invoice"], "FT 2026/7", "{payment}");
    assert_eq!(
        payment["operator_reference"],
        json!(paid["id"].as_i64().unwrap().to_string()),
        "{payment}"
    );
    let (_, r) = p
        .main(Method::GET, &format!("/v1/references/{id:09}"), None)
        .await;
    assert_eq!(r["status"], "paid", "{r}");
    // The same webhook again (ProxyPay retries): recorded once. A forged one: refused.
    let body = serde_json::to_vec(&paid).unwrap();
    let client = reqwest::Client::new();
    let r = client
        .post(&hook)
        .header("X-Signature", signature(KEY, &body))
        .header("Content-Type", "application/json")
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let r = client
        .post(&hook)
        .header("X-Signature", signature("not-the-key", &body))
        .body(body.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(p.payments_of(id).await.len(), 1);

    // The webhook lost (no endpoint at ProxyPay now): the queue brings it, once, and it leaves
    // ProxyPay's queue only after Kumbu's commit.
    let (s, _, _) = p
        .upstream
        .send(
            Method::DELETE,
            &format!("/v1/webhook_endpoints/{endpoint}"),
            None,
            &[],
        )
        .await;
    assert!(s.is_success());
    p.pay_at_gateway(native, "1200.00").await;
    assert_eq!(p.gateway_queue().await.len(), 1, "queued at ProxyPay");
    assert!(p.payments_of(native).await.is_empty());
    assert_eq!(p.main.engine.poll_gateways().await.unwrap(), 1);
    assert_eq!(p.payments_of(native).await.len(), 1);
    assert!(
        p.gateway_queue().await.is_empty(),
        "acknowledged at ProxyPay"
    );
    // A later turn, or another process's, finds nothing new.
    assert_eq!(p.main.engine.poll_gateways().await.unwrap(), 0);
    p.main.clock.advance(Duration::from_secs(61));
    assert_eq!(p.main.engine.poll_gateways().await.unwrap(), 0);
    assert_eq!(p.payments_of(native).await.len(), 1);

    // Deleted here, deleted there.
    let (s, _) = p
        .main(
            Method::DELETE,
            &format!("/compat/proxypay/references/{native}"),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    assert_eq!(p.at_gateway(native).await["status"], "deleted");
    p.main.ledger_ok().await;

    // ProxyPay refuses the key: the caller is told, naming ProxyPay; the reference is kept here.
    let (s, _) = p
        .main(
            Method::PUT,
            "/v1/connectors/proxypay",
            Some(json!({"api_key": "sk_test_not_a_key_of_the_gateway"})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = p
        .main(
            Method::PUT,
            "/compat/proxypay/references/222333444",
            Some(json!({"amount": "10.00"})),
        )
        .await;
    assert!(s.is_client_error() || s.is_server_error(), "{s} {v}");
    assert!(v.to_string().contains("ProxyPay"), "{v}");

    // ProxyPay does not answer: 503, the reference kept and sent again in the background.
    let (s, _) = p
        .main(
            Method::PUT,
            "/v1/connectors/proxypay",
            Some(json!({"api_key": KEY})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let Pair {
        upstream,
        main,
        live,
        ..
    } = p;
    upstream.finish().await;
    let p2 = |path: &str| (path.to_owned(), format!("Token {live}"));
    let (path, auth) = p2("/compat/proxypay/references/555666777");
    let (s, _, v) = main
        .send(
            Method::PUT,
            &path,
            Some(r#"{"amount": "10.00"}"#),
            &[("Authorization", &auth), ("Accept", H)],
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{v}");
    assert!(v.to_string().contains("may be retried safely"), "{v}");
    let (s, _, r) = main
        .send(
            Method::GET,
            "/v1/references/555666777",
            None,
            &[("Authorization", &format!("Bearer {live}"))],
        )
        .await;
    assert_eq!(
        (s, r["status"].as_str()),
        (StatusCode::OK, Some("active")),
        "{r}"
    );
    main.clock.advance(Duration::from_secs(5));
    assert_eq!(
        main.engine.push_references().await.unwrap(),
        1,
        "sent again"
    );
    main.finish().await;
}

mod references_and_payments_through_proxypay {
    use crate::harness::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::references_and_payments_through_proxypay(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::references_and_payments_through_proxypay(Backend::Postgres).await;
    }
}

/// PyPI `proxypay-py` and `django-proxypay`, a merchant's ProxyPay code, unchanged but for its
/// endpoint, against the merchant's Kumbu with a live key, whose references go to the gateway
/// (scripts/fidelity/proxypay/run.sh).
async fn a_real_proxypay_client_through_the_upstream(backend: Backend) {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        crate::harness::skip(
            "a_real_proxypay_client_through_the_upstream",
            "python3 not installed",
            "KUMBU_REQUIRE_CLIENTS",
        );
        return;
    }
    let Some(p) = Pair::start(backend, "proxypay_client_upstream").await else {
        return;
    };
    let (s, v) = p
        .main(
            Method::PUT,
            "/v1/connectors/proxypay",
            Some(json!({"api_key": KEY})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let hook = v["callback_url"].as_str().unwrap().to_owned();
    let (s, v) = p
        .upstream
        .post(
            "/v1/webhook_endpoints",
            &json!({"url": hook, "format": "proxypay"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    for (runner, checks, label) in [
        ("proxypay", 5, "proxypay-py 1.0.0"),
        ("django-proxypay", 3, "django-proxypay 1.3.2"),
    ] {
        let script = format!(
            "{}/scripts/fidelity/{runner}/run.sh",
            env!("CARGO_MANIFEST_DIR")
        );
        let out = tokio::process::Command::new("bash")
            .arg(script)
            .env("KUMBU_PROXYPAY_URL", p.main.url("/compat/proxypay"))
            .env("KUMBU_LIVE_KEY", &p.live)
            .env("GATEWAY_URL", &p.upstream.base)
            .env("GATEWAY_KEY", KEY)
            .output()
            .await
            .expect("run the fidelity script");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success(),
            "{runner} fidelity run failed:\n{stdout}\n{stderr}"
        );
        let lines: Vec<&str> = stdout
            .lines()
            .filter(|l| l.starts_with("ok ") || l.starts_with("FAIL ") || l.starts_with("skip "))
            .collect();
        let ok = lines.iter().filter(|l| l.starts_with("ok ")).count();
        assert_eq!((ok, lines.len()), (checks, checks), "{stdout}");
        assert!(
            stdout.contains(&format!("{label}: passed (0 failure(s))")),
            "{stdout}"
        );
    }
    p.main.ledger_ok().await;
    p.upstream.finish().await;
    p.main.finish().await;
}

mod a_real_proxypay_client_through_the_upstream {
    use crate::harness::Backend;
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::a_real_proxypay_client_through_the_upstream(Backend::Sqlite).await;
    }
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        super::a_real_proxypay_client_through_the_upstream(Backend::Postgres).await;
    }
}
