//! Live mode against operators' simulators over real sockets: the `Live` fixture (a test app in
//! live mode beside running MTN, Orange, Wave and M-Pesa simulators, the sandbox merchant's MTN credentials set
//! through the API) and one file per operator (`mtn.rs`, `orange.rs`, `wave.rs`) or concern (`checkout.rs`:
//! live checkout pages, `mpesa.rs`: M-Pesa Mozambique).
use crate::harness::{Backend, Opts, TestApp};
use kumbu_rails::mtn_momo::simulator::{Config as SimConfig, Faults, Sim, Stats};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use std::future::Future;
use std::time::{Duration, Instant};

pub const API_USER: &str = "0b9f1b7e-7c5e-4b0a-9d7e-3f2a1c5d6e7f";
pub const API_KEY: &str = "sim-api-key-0123456789";
pub const SUBSCRIPTION_KEY: &str = "sim-subscription-key";
/// The API key M-Pesa's simulator takes.
pub const MPESA_API_KEY: &str = "mpesa-api-key-kumbu-test";

/// A test app in live mode beside a running MTN simulator, with the sandbox merchant's MTN
/// credentials set through the API.
pub struct Live {
    pub app: TestApp,
    pub sim: Sim,
    pub sim_url: String,
    /// Orange's simulator (no credentials are set for it: `orange.rs` sets them).
    pub orange: kumbu_rails::orange_money::simulator::Sim,
    /// Wave's simulator, and its URL (`wave.rs` sets credentials and the webhook).
    pub wave: kumbu_rails::wave::simulator::Sim,
    pub wave_url: String,
    /// M-Pesa's simulator, every operation on one port (`mpesa.rs` sets credentials).
    pub mpesa: kumbu_rails::mpesa_mz::simulator::Sim,
    pub mpesa_url: String,
    /// `Bearer sk_live_…`.
    pub auth: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    stop_orange: Option<tokio::sync::oneshot::Sender<()>>,
    stop_wave: Option<tokio::sync::oneshot::Sender<()>>,
    stop_mpesa: Option<tokio::sync::oneshot::Sender<()>>,
}

/// Starts an M-Pesa simulator on a free port, every operation on it, whose payers answer in
/// 200 ms and whose platform gives up after two seconds.
pub async fn start_mpesa() -> (
    kumbu_rails::mpesa_mz::simulator::Sim,
    String,
    tokio::sync::oneshot::Sender<()>,
) {
    use kumbu_rails::mpesa_mz::simulator::{Config, Keys, Sim};
    let sim = Sim::new(Config {
        prompt_time: Duration::from_millis(200),
        platform_timeout: Duration::from_secs(2),
        initiator: Some(("kumbu-initiator".into(), "Mpesa2019".into())),
        api_keys: vec![MPESA_API_KEY.into()],
        ..Config::with_keys(Keys::for_tests())
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sim.clone().serve(listener, async move {
        let _ = rx.await;
    }));
    (sim, url, tx)
}

/// Starts a Wave simulator on a free port.
pub async fn start_wave() -> (
    kumbu_rails::wave::simulator::Sim,
    String,
    tokio::sync::oneshot::Sender<()>,
) {
    use kumbu_rails::wave::simulator::{Config, Sim};
    let sim = Sim::new(Config::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sim.clone().serve(listener, async move {
        let _ = rx.await;
    }));
    (sim, url, tx)
}

/// Starts an Orange simulator on a free port, whose payers answer at once.
pub async fn start_orange() -> (
    kumbu_rails::orange_money::simulator::Sim,
    String,
    tokio::sync::oneshot::Sender<()>,
) {
    use kumbu_rails::orange_money::simulator::{Config, Sim};
    let sim = Sim::new(Config {
        approval_delay: Duration::ZERO,
        ..Config::default()
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sim.clone().serve(listener, async move {
        let _ = rx.await;
    }));
    (sim, url, tx)
}

/// Starts an MTN simulator on a free port.
pub async fn start_sim(config: SimConfig) -> (Sim, String, tokio::sync::oneshot::Sender<()>) {
    let sim = Sim::new(SimConfig {
        preset_user: Some((API_USER.into(), API_KEY.into(), "127.0.0.1".into())),
        subscription_keys: vec![SUBSCRIPTION_KEY.into()],
        ..config
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(sim.clone().serve(listener, async move {
        let _ = rx.await;
    }));
    (sim, url, tx)
}

/// The credentials body for the simulator's preset user.
pub fn credentials() -> Value {
    let keys =
        json!({"subscription_key": SUBSCRIPTION_KEY, "api_user": API_USER, "api_key": API_KEY});
    json!({"target_environment": "mtnivorycoast", "callback_host": "127.0.0.1",
           "collection": keys, "disbursement": keys})
}

impl Live {
    async fn start(backend: Backend, test: &str, sim: SimConfig, opts: Opts) -> Option<Live> {
        let (sim, sim_url, stop) = start_sim(sim).await;
        let (orange, orange_url, stop_orange) = start_orange().await;
        let (wave, wave_url, stop_wave) = start_wave().await;
        let (mpesa, mpesa_url, stop_mpesa) = start_mpesa().await;
        let app = TestApp::spawn_with(
            backend,
            test,
            Opts {
                mtn_momo_url: Some(sim_url.clone()),
                orange_money_url: Some(orange_url),
                wave_url: Some(wave_url.clone()),
                mpesa_mz_url: Some(mpesa_url.clone()),
                ..opts
            },
        )
        .await?;
        let merchant = app.sandbox_merchant().await;
        let key = app
            .engine
            .create_api_key(&merchant, kumbu_core::Mode::Live)
            .await
            .unwrap();
        let auth = format!(
            "Bearer {}",
            secrecy::ExposeSecret::expose_secret(&key.secret)
        );
        let live = Live {
            app,
            sim,
            sim_url,
            orange,
            wave,
            wave_url,
            mpesa,
            mpesa_url,
            auth,
            stop: Some(stop),
            stop_orange: Some(stop_orange),
            stop_wave: Some(stop_wave),
            stop_mpesa: Some(stop_mpesa),
        };
        let (s, v) = live
            .call(Method::PUT, "/v1/connectors/mtn_ci", Some(&credentials()))
            .await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        Some(live)
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let text = body.map(Value::to_string);
        let (s, _, v) = self
            .app
            .send(
                method,
                path,
                text.as_deref(),
                &[("Authorization", &self.auth)],
            )
            .await;
        (s, v)
    }

    /// Creates a live MTN payment that must be accepted.
    pub async fn pay(&self, amount: i64, phone: &str) -> String {
        let (s, v) = self
            .call(
                Method::POST,
                "/v1/payments",
                Some(&json!({"amount": amount, "currency": "XOF", "payer": {"phone": phone, "operator": "mtn_ci"}})),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        assert_eq!(v["livemode"], true);
        v["id"].as_str().unwrap().to_owned()
    }

    pub async fn payment(&self, id: &str) -> Value {
        let (s, v) = self
            .call(Method::GET, &format!("/v1/payments/{id}"), None)
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// Asserts how payment `id` ended: its status, failure code and operator code.
    pub async fn assert_ended(&self, id: &str, want: (&str, Option<&str>, Option<&str>)) {
        let p = self.payment(id).await;
        let got = (
            p["status"].as_str().unwrap_or_default(),
            p["failure_code"].as_str(),
            p["operator_code"].as_str(),
        );
        assert_eq!(got, want, "{p}");
    }

    /// Asserts that payment `id` is settled, and went through `settled` once, whatever its
    /// operator sent (duplicates, late copies).
    pub async fn settled_once(&self, id: &str) {
        let p = self.payment(id).await;
        assert_eq!(p["status"], "settled", "{p}");
        let settled = p["history"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|h| h["to"] == "settled")
            .count();
        assert_eq!(settled, 1, "{p}");
    }

    /// The reference MTN knows payment `id` by.
    pub async fn operator_reference(&self, id: &str) -> String {
        self.payment(id).await["operator_reference"]
            .as_str()
            .expect("an operator reference")
            .to_owned()
    }

    pub async fn status(&self, id: &str) -> String {
        self.payment(id).await["status"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn faults(&self, f: Faults) {
        self.sim.set_faults(f);
    }

    pub fn stats(&self) -> Stats {
        self.sim.stats()
    }

    /// Waits (real time) until the simulator's counters satisfy `cond`.
    pub async fn until(&self, what: &str, cond: impl Fn(&Stats) -> bool) {
        let start = Instant::now();
        while !cond(&self.stats()) {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "timed out waiting for {what}: {:?}",
                self.stats()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    pub async fn finish(mut self) {
        for s in [
            self.stop.take(),
            self.stop_orange.take(),
            self.stop_wave.take(),
            self.stop_mpesa.take(),
        ]
        .into_iter()
        .flatten()
        {
            let _ = s.send(());
        }
        self.app.finish().await;
    }
}

pub fn quick() -> SimConfig {
    SimConfig {
        approval_delay: Duration::ZERO,
        ..SimConfig::default()
    }
}

pub async fn run<F, Fut>(backend: Backend, test: &str, sim: SimConfig, opts: Opts, scenario: F)
where
    F: FnOnce(Live) -> Fut,
    Fut: Future<Output = Live>,
{
    let Some(live) = Live::start(backend, test, sim, opts).await else {
        return;
    };
    scenario(live).await.finish().await;
}

macro_rules! live_both {
    ($($name:ident => ($sim:expr, $opts:expr)),* $(,)?) => {
        $(
            mod $name {
                use crate::harness::Backend;
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::run(Backend::Sqlite, stringify!($name), $sim, $opts, super::$name).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::run(Backend::Postgres, stringify!($name), $sim, $opts, super::$name).await;
                }
            }
        )*
    };
}

mod checkout;
mod mpesa;
mod mtn;
mod orange;
mod wave;
