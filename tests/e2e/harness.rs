//! Boots the real `Application` on port 0 over a fresh database and talks to it over HTTP.

use kumbu::{Application, Config, SecretKeySource};
use kumbu_core::{ManualClock, Timestamp};
use kumbu_engine::{Engine, EngineConfig};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::Value;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The sandbox key every test app is bootstrapped with.
pub const KEY: &str = "sk_test_e2e0000000000000000000000000";

/// The server secret key every PostgreSQL test process shares (SQLite tests use the default key
/// file beside their database, so that path is exercised too).
pub const SECRET_KEY: &str = "a3VtYnUtZTJlLXRlc3Qtc2VjcmV0LWtleS0zMmJ5dGU=";

/// Where a test server's secret key comes from.
pub fn secret_key_for(url: &str) -> SecretKeySource {
    if url.starts_with("postgres") {
        SecretKeySource::Keys(SecretString::from(SECRET_KEY.to_owned()))
    } else {
        SecretKeySource::Default
    }
}

/// Step delay of the simulator in tests (time is driven by the manual clock).
pub const DELAY: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Where a test's database lives, and how to remove it.
pub enum Db {
    Sqlite(tempfile_lite::TempDir),
    Postgres { admin_url: String, name: String },
}

pub struct TestApp {
    pub base: String,
    /// Root of the ProxyPay face's own listener.
    pub proxypay_base: String,
    /// Root of the metrics listener.
    pub metrics_base: String,
    pub client: reqwest::Client,
    pub clock: ManualClock,
    pub engine: Engine,
    pub database_url: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
    db: Option<Db>,
}

fn say(line: &str) {
    // Written straight to stderr so the test harness's capture does not hide it.
    let _ = writeln!(std::io::stderr(), "{line}");
}

/// Skips a test for want of `what` (PostgreSQL, a browser, client libraries), with a SKIP line
/// the test output always shows, unless `require` (CI's `KUMBU_REQUIRE_*`): then it fails.
/// `.ci/run` also fails on any SKIP line in the output, so nothing is skipped silently there.
pub fn skip(test: &str, what: &str, require: &str) {
    assert!(
        std::env::var(require).as_deref() != Ok("1"),
        "{require}=1 but {test} would skip: {what}"
    );
    say(&format!("SKIP {test}: {what}"));
}

/// A fresh database URL for `backend`, or `None` (with a visible SKIP line) when PostgreSQL is
/// not configured. With `KUMBU_REQUIRE_PG=1` a missing PostgreSQL fails the test instead.
pub async fn fresh_database(backend: Backend, test: &str) -> Option<(String, Db)> {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile_lite::TempDir::new();
            let url = format!("sqlite://{}/kumbu.db", dir.path().display());
            Some((url, Db::Sqlite(dir)))
        }
        Backend::Postgres => {
            let Ok(admin_url) = std::env::var("KUMBU_TEST_DATABASE_URL") else {
                skip(
                    &format!("{test} [postgres]"),
                    "KUMBU_TEST_DATABASE_URL is not set",
                    "KUMBU_REQUIRE_PG",
                );
                return None;
            };
            use sqlx::Connection;
            let name = format!(
                "kumbu_test_{}",
                kumbu_core::ids::random_token(16).to_ascii_lowercase()
            );
            let mut conn = sqlx::PgConnection::connect(&admin_url)
                .await
                .unwrap_or_else(|e| {
                    panic!("cannot reach PostgreSQL at KUMBU_TEST_DATABASE_URL: {e}")
                });
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&mut conn)
                .await
                .expect("create database");
            conn.close().await.ok();
            let url = with_database(&admin_url, &name);
            Some((url, Db::Postgres { admin_url, name }))
        }
    }
}

/// `admin_url` pointing at database `name`.
pub fn with_database(admin_url: &str, name: &str) -> String {
    let (head, query) = match admin_url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (admin_url, None),
    };
    let cut = head
        .rfind('/')
        .filter(|i| *i > "postgres://".len())
        .unwrap_or(head.len());
    let mut url = format!("{}/{name}", &head[..cut]);
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    url
}

pub async fn drop_database(db: Db) {
    match db {
        Db::Sqlite(dir) => drop(dir),
        Db::Postgres { admin_url, name } => {
            use sqlx::Connection;
            if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
                conn.close().await.ok();
            }
        }
    }
}

/// Options for a test server.
#[derive(Debug, Clone)]
pub struct Opts {
    pub workers: bool,
    pub delay: Duration,
    /// Overrides [`secret_key_for`].
    pub secret_key: Option<SecretKeySource>,
    /// ProxyPay requests per minute per key.
    pub proxypay_per_minute: u32,
    /// Checkout attempts per address in 10 minutes.
    pub checkout_ip_limit: u32,
    /// The proxies whose X-Forwarded-For is believed (by default: this machine).
    pub trusted_proxies: kumbu_http::TrustedProxies,
    /// MTN MoMo's API (a simulator in tests).
    pub mtn_momo_url: Option<String>,
    /// Orange Money's APIs (a simulator in tests).
    pub orange_money_url: Option<String>,
    /// Wave's API (a simulator in tests).
    pub wave_url: Option<String>,
    /// M-Pesa's API (a simulator in tests, every operation on one port).
    pub mpesa_mz_url: Option<String>,
    /// ProxyPay's API (another Kumbu's ProxyPay face in tests).
    pub proxypay_url: Option<String>,
    /// How long an operator call may take.
    pub operator_timeout: Duration,
    /// How long a call held until the payer answers (M-Pesa's C2B) may take.
    pub prompt_timeout: Duration,
    /// Held calls at once for one merchant.
    pub held_calls_per_merchant: usize,
    /// Header-read and idle timeouts and the connection cap.
    pub connections: kumbu_http::ConnectionLimits,
    /// Where customers reach the gateway (by default its loopback listener: not public).
    pub public_url: Option<String>,
    /// `--allow-internal-webhooks`.
    pub allow_internal_webhooks: bool,
    /// Requests per minute per API key (`--api-rate-limit`).
    pub api_per_minute: u32,
    /// `--smtp-url` and `--smtp-from` (a local server in tests: mailbox.rs).
    pub mail: Option<kumbu_http::MailSettings>,
}

impl Default for Opts {
    fn default() -> Self {
        Self {
            workers: false,
            delay: DELAY,
            secret_key: None,
            proxypay_per_minute: 6000,
            checkout_ip_limit: 1000,
            trusted_proxies: kumbu_http::TrustedProxies::default(),
            mtn_momo_url: None,
            orange_money_url: None,
            wave_url: None,
            mpesa_mz_url: None,
            proxypay_url: None,
            operator_timeout: Duration::from_secs(5),
            prompt_timeout: Duration::from_secs(5),
            held_calls_per_merchant: EngineConfig::default().held_calls_per_merchant,
            connections: kumbu_http::ConnectionLimits::default(),
            public_url: None,
            allow_internal_webhooks: false,
            api_per_minute: EngineConfig::default().api_requests_per_minute,
            mail: None,
        }
    }
}

pub fn test_config(url: &str, opts: &Opts) -> Config {
    Config {
        public_url: opts.public_url.clone(),
        trusted_proxies: opts.trusted_proxies.clone(),
        connections: opts.connections,
        metrics_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: url.to_owned(),
        sandbox_key: Some(SecretString::from(KEY.to_owned())),
        engine: EngineConfig {
            sandbox_delay: opts.delay,
            worker_interval: Duration::from_millis(20),
            proxypay_requests_per_minute: opts.proxypay_per_minute,
            api_requests_per_minute: opts.api_per_minute,
            checkout_attempts_per_ip: opts.checkout_ip_limit,
            operator_urls: kumbu_rails::OperatorUrls {
                mtn_momo: opts
                    .mtn_momo_url
                    .clone()
                    .unwrap_or_else(|| "http://127.0.0.1:9".to_owned()),
                orange_money: opts
                    .orange_money_url
                    .clone()
                    .unwrap_or_else(|| "http://127.0.0.1:9".to_owned()),
                wave: opts
                    .wave_url
                    .clone()
                    .unwrap_or_else(|| "http://127.0.0.1:9".to_owned()),
                mpesa_mz: opts
                    .mpesa_mz_url
                    .clone()
                    .unwrap_or_else(|| "http://127.0.0.1:9".to_owned()),
                proxypay: opts
                    .proxypay_url
                    .clone()
                    .unwrap_or_else(|| "http://127.0.0.1:9".to_owned()),
            },
            operator_timeout: opts.operator_timeout,
            operator_prompt_timeout: opts.prompt_timeout,
            held_calls_per_merchant: opts.held_calls_per_merchant,
            internal_webhooks: if opts.allow_internal_webhooks {
                kumbu_engine::InternalWebhooks::Always
            } else {
                kumbu_engine::InternalWebhooks::TestOnly
            },
            ..EngineConfig::default()
        },
        workers: opts.workers,
        max_connections: 8,
        secret_key: opts
            .secret_key
            .clone()
            .unwrap_or_else(|| secret_key_for(url)),
        proxypay_listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))),
        mail: opts.mail.clone(),
    }
}

impl TestApp {
    pub async fn spawn(backend: Backend, test: &str) -> Option<TestApp> {
        Self::spawn_with(backend, test, Opts::default()).await
    }

    pub async fn spawn_with(backend: Backend, test: &str, opts: Opts) -> Option<TestApp> {
        let (url, db) = fresh_database(backend, test).await?;
        Some(Self::start(url, Some(db), &opts).await)
    }

    /// Starts a server over an existing database (e.g. after a restart).
    pub async fn start(url: String, db: Option<Db>, opts: &Opts) -> TestApp {
        let clock = ManualClock::starting_at(Timestamp::from_micros(1_790_000_000_000_000));
        let app = Application::build_with_clock(test_config(&url, opts), Arc::new(clock.clone()))
            .await
            .expect("application starts");
        let base = format!("http://{}", app.local_addr());
        let proxypay_base = format!(
            "http://{}",
            app.proxypay_addr().expect("the ProxyPay listener is bound")
        );
        let metrics_base = format!(
            "http://{}",
            app.metrics_addr().expect("the metrics listener is bound")
        );
        let engine = app.engine().clone();
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run(async move {
            let _ = rx.await;
        }));
        TestApp {
            base,
            proxypay_base,
            metrics_base,
            client: reqwest::Client::new(),
            clock,
            engine,
            database_url: url,
            shutdown: Some(tx),
            server: Some(server),
            db,
        }
    }

    /// Stops the server gracefully and returns the database (to restart on it).
    pub async fn stop(mut self) -> Option<Db> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            s.await.expect("server task").expect("server ran");
        }
        self.db.take()
    }

    /// Stops the server and removes its database.
    pub async fn finish(self) {
        if let Some(db) = self.stop().await {
            drop_database(db).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Sends a request with the sandbox key and returns status, headers and JSON body.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let mut req = self.client.request(method, self.url(path));
        let mut has_auth = false;
        for (k, v) in headers {
            if k.eq_ignore_ascii_case("authorization") {
                has_auth = true;
            }
            req = req.header(*k, *v);
        }
        if !has_auth {
            req = req.bearer_auth(KEY);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_owned());
        }
        let resp = req.send().await.expect("request sent");
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.expect("body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, headers, value)
    }

    pub async fn post(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let (s, _, v) = self
            .send(reqwest::Method::POST, path, Some(&body.to_string()), &[])
            .await;
        (s, v)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        let (s, _, v) = self.send(reqwest::Method::GET, path, None, &[]).await;
        (s, v)
    }

    /// Creates a payment that must succeed, returning it.
    pub async fn create(&self, amount: i64, phone: &str) -> Value {
        let (s, v) = self
            .post(
                "/v1/payments",
                &serde_json::json!({"amount": amount, "currency": "XOF", "payer": {"phone": phone, "operator": "orange_ci"}}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    pub async fn payment(&self, id: &str) -> Value {
        let (s, v) = self.get(&format!("/v1/payments/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    pub async fn status_of(&self, id: &str) -> String {
        self.payment(id).await["status"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Runs worker passes until nothing is due at the current (manual) time.
    pub async fn tick(&self) {
        self.engine.run_until_idle().await.expect("worker pass");
    }

    /// Moves the clock forward by `d` and runs what became due.
    pub async fn advance(&self, d: Duration) {
        self.clock.advance(d);
        self.tick().await;
    }

    /// Advances simulated time step by step (by the simulator delay) `steps` times.
    pub async fn steps(&self, steps: u32) {
        for _ in 0..steps {
            self.advance(DELAY).await;
        }
    }

    /// The id of the sandbox merchant the app was bootstrapped with (the one `KEY` is for).
    /// The engine's own view of the sandbox merchant in `mode` (no key, no face, no audit
    /// line): what a test reads the engine with directly.
    pub async fn sandbox_auth(&self, mode: kumbu_core::Mode) -> kumbu_engine::AuthContext {
        kumbu_engine::AuthContext {
            merchant_id: self.sandbox_merchant().await,
            mode,
            key_id: "test".into(),
            audit: None,
            face: None,
        }
    }

    pub async fn sandbox_merchant(&self) -> String {
        match self.engine.bootstrap_sandbox(None).await.unwrap() {
            kumbu_engine::Bootstrap::Existing { merchant_id, .. } => merchant_id,
            kumbu_engine::Bootstrap::Created { .. } => unreachable!("already bootstrapped"),
        }
    }

    pub async fn ledger_ok(&self) {
        let (problems, _) = self.engine.store().verify_ledger().await.expect("verify");
        assert!(problems.is_empty(), "ledger problems: {problems:?}");
    }
}

/// Runs `scenario` against a fresh app on `backend`, then removes its database.
pub async fn run<F, Fut>(backend: Backend, test: &str, scenario: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: std::future::Future<Output = Option<TestApp>>,
{
    let Some(app) = TestApp::spawn(backend, test).await else {
        return;
    };
    if let Some(app) = scenario(app).await {
        app.finish().await;
    }
}

/// Declares a scenario `async fn name(app: TestApp) -> Option<TestApp>` as two tests, one per
/// backend.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    $crate::harness::run($crate::harness::Backend::Sqlite, stringify!($name), super::$name).await;
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    $crate::harness::run($crate::harness::Backend::Postgres, stringify!($name), super::$name).await;
                }
            }
        )*
    };
}

/// A temporary directory removed on drop (std only).
pub mod tempfile_lite {
    use std::path::{Path, PathBuf};

    pub struct TempDir(PathBuf);

    impl TempDir {
        pub fn new() -> Self {
            let p = std::env::temp_dir()
                .join(format!("kumbu-test-{}", kumbu_core::ids::random_token(12)));
            std::fs::create_dir_all(&p).expect("temp dir");
            Self(p)
        }

        pub fn path(&self) -> &Path {
            &self.0
        }
    }

    impl Drop for TempDir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}
