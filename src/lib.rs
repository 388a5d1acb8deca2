//! The `kumbu` application: configuration, start-up and shutdown, shared by `main` and the
//! end-to-end tests so that tests boot exactly what production runs.

pub mod cli;
pub mod load;
pub mod secret_key;
pub mod telemetry;

use anyhow::Context;
use kumbu_core::{Clock, SystemClock};
use kumbu_engine::{
    Bootstrap, Engine, EngineConfig, InternalWebhooks, Store, StoreOptions, Workers,
};
use secrecy::SecretString;
pub use secret_key::{load_keyring, SecretKeySource};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Everything `serve` needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address to listen on (port 0 picks a free port).
    pub listen: SocketAddr,
    /// `sqlite://file.db` or `postgres://…`.
    pub database_url: String,
    /// Chosen test key for the bootstrap sandbox merchant.
    pub sandbox_key: Option<SecretString>,
    /// Engine tunables.
    pub engine: EngineConfig,
    /// Run background workers in this process.
    pub workers: bool,
    /// Database pool size.
    pub max_connections: u32,
    /// Where the key sealing stored secrets comes from.
    pub secret_key: SecretKeySource,
    /// Also serve the ProxyPay face at the root of this address.
    pub proxypay_listen: Option<SocketAddr>,
    /// The address customers reach this gateway at (checkout page URLs); by default
    /// `http://<listen address>`.
    pub public_url: Option<String>,
    /// The proxies whose `X-Forwarded-For` names the client; by default this machine only.
    pub trusted_proxies: kumbu_http::TrustedProxies,
    /// Header-read and idle timeouts, and the cap on open connections, of each listener.
    pub connections: kumbu_http::ConnectionLimits,
    /// Where `/metrics` is served (none: nowhere). Never the API's listener.
    pub metrics_listen: Option<SocketAddr>,
    /// Where invitations and password-reset links are e-mailed (none: they are not).
    pub mail: Option<kumbu_http::MailSettings>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://kumbu.db".to_owned(),
            sandbox_key: None,
            engine: EngineConfig::default(),
            workers: true,
            max_connections: 16,
            secret_key: SecretKeySource::Default,
            proxypay_listen: None,
            public_url: None,
            trusted_proxies: kumbu_http::TrustedProxies::default(),
            connections: kumbu_http::ConnectionLimits::default(),
            metrics_listen: Some(DEFAULT_METRICS_LISTEN),
            mail: None,
        }
    }
}

/// Where `/metrics` is served unless configured: this machine only.
pub const DEFAULT_METRICS_LISTEN: SocketAddr =
    SocketAddr::new(std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST), 9464);

/// A built, not yet running, server: database migrated, sandbox bootstrapped, port bound.
#[derive(Debug)]
pub struct Application {
    engine: Engine,
    listener: TcpListener,
    proxypay_listener: Option<TcpListener>,
    metrics_listener: Option<TcpListener>,
    public_url: kumbu_http::PublicUrl,
    trusted_proxies: kumbu_http::TrustedProxies,
    connections: kumbu_http::ConnectionLimits,
    workers: bool,
    bootstrap: Bootstrap,
    mailer: Option<kumbu_http::Mailer>,
}

impl Application {
    /// Connects, migrates, bootstraps the sandbox merchant and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Same as [`Application::build`], with a chosen clock (tests drive time).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let mailer = match &config.mail {
            Some(settings) => Some(kumbu_http::Mailer::new(settings)?),
            None => None,
        };
        let store = open_store(&config.database_url, config.max_connections).await?;
        let keyring = load_keyring(&config.secret_key, &config.database_url)?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("could not listen on {}", config.listen))?;
        let public_url = kumbu_http::PublicUrl::new(&match &config.public_url {
            Some(u) => u.clone(),
            None => {
                let addr = listener.local_addr()?;
                if !addr.ip().is_loopback() {
                    tracing::warn!(%addr, "checkout page URLs will point at http://{addr}; set --public-url to the address customers reach (e.g. https://pay.example.com)");
                }
                format!("http://{addr}")
            }
        });
        // Operators call back where customers' browsers reach the gateway.
        let mut engine_config = config.engine.clone();
        let elsewhere =
            reachable_from_elsewhere(listener.local_addr()?, config.proxypay_listen, &public_url);
        if elsewhere && engine_config.internal_webhooks == InternalWebhooks::TestOnly {
            tracing::info!("the gateway is reachable from other machines: test webhooks, like live ones, must go to public hosts (--allow-internal-webhooks lifts this)");
            engine_config.internal_webhooks = InternalWebhooks::Never;
        }
        engine_config
            .callback_base
            .get_or_insert_with(|| public_url.as_str().to_owned());
        let engine = Engine::new(
            store,
            clock,
            engine_config,
            keyring,
            kumbu_http::webhook_faces(&public_url),
        );
        engine
            .prepare_secrets()
            .await
            .context("the secret key does not fit this database")?;
        tracing::info!(
            key = engine.secret_key_id(),
            "stored secrets are sealed with this secret key"
        );
        let bootstrap = engine
            .bootstrap_sandbox(config.sandbox_key.as_ref())
            .await
            .context("could not set up the sandbox merchant")?;
        let proxypay_listener = match config.proxypay_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .with_context(|| format!("could not listen on {addr} (--proxypay-listen)"))?,
            ),
            None => None,
        };
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(TcpListener::bind(addr).await.with_context(|| {
                format!(
                    "could not listen on {addr} (--metrics-listen); give each process on this \
                     machine its own, or `--metrics-listen off`"
                )
            })?),
            None => None,
        };
        Ok(Self {
            engine,
            listener,
            proxypay_listener,
            metrics_listener,
            public_url,
            trusted_proxies: config.trusted_proxies.clone(),
            connections: config.connections,
            workers: config.workers,
            bootstrap,
            mailer,
        })
    }

    /// The bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    /// The bound address of the ProxyPay listener, if there is one.
    pub fn proxypay_addr(&self) -> Option<SocketAddr> {
        self.proxypay_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The bound address of the metrics listener, if there is one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// Where checkout pages are served (`--public-url`, or the listening address).
    pub fn public_url(&self) -> &str {
        self.public_url.as_str()
    }

    /// The engine (tests use it to run worker passes deterministically).
    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// What start-up did about the sandbox merchant.
    pub fn bootstrap(&self) -> &Bootstrap {
        &self.bootstrap
    }

    /// Serves until `shutdown` completes, then stops accepting, finishes in-flight requests,
    /// stops the workers after their current pass and closes the database.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        // The metrics recorder first: what the workers count before it exists is lost (after a
        // restart with a backlog, the first batch's transitions were missing from /metrics).
        kumbu_http::install_metrics();
        let workers = self.workers.then(|| Workers::spawn(self.engine.clone()));
        let stop = tokio_util::sync::CancellationToken::new();
        let trigger = stop.clone();
        tokio::spawn(async move {
            shutdown.await;
            trigger.cancel();
        });
        if let Some(mailer) = self.mailer.clone() {
            // A relay that is down does not stop the gateway: invitations still show their link.
            tokio::spawn(async move {
                match mailer.check().await {
                    Ok(()) => tracing::info!(
                        relay = mailer.relay(),
                        "e-mail goes through this SMTP relay"
                    ),
                    Err(e) => {
                        tracing::warn!(error = %e, "the SMTP relay does not answer: invitations and password resets will not be e-mailed until it does")
                    }
                }
            });
        }
        let state = kumbu_http::AppState::new(self.engine.clone())
            .with_public_url(self.public_url)
            .with_trusted_proxies(self.trusted_proxies)
            .with_mailer(self.mailer);
        // The side listeners: the ProxyPay face at the root, and the metrics.
        let side = [
            (
                self.proxypay_listener,
                kumbu_http::proxypay_router(state.clone()),
                "ProxyPay",
            ),
            (
                self.metrics_listener,
                kumbu_http::metrics_router(state.clone()),
                "metrics",
            ),
        ];
        let side: Vec<_> = side
            .into_iter()
            .filter_map(|(listener, app, name)| {
                let stopped = stop.clone().cancelled_owned();
                let served = kumbu_http::serve(listener?, app, self.connections, stopped);
                Some((name, tokio::spawn(served)))
            })
            .collect();
        let app = kumbu_http::router(state);
        let served = kumbu_http::serve(
            self.listener,
            app,
            self.connections,
            stop.clone().cancelled_owned(),
        )
        .await;
        stop.cancel();
        for (name, listener) in side {
            match listener.await {
                Ok(Ok(())) => {}
                Ok(Err(e)) => tracing::error!(error = %e, "the {name} listener failed"),
                Err(e) => tracing::error!(error = %e, "the {name} listener task failed"),
            }
        }
        if let Some(w) = workers {
            w.shutdown().await;
        }
        self.engine.store().close().await;
        served.context("HTTP server failed")
    }
}

/// Whether other machines reach this gateway: it listens on an address that is not loopback,
/// or customers' browsers reach it at a host that is not this machine.
fn reachable_from_elsewhere(
    listen: SocketAddr,
    proxypay_listen: Option<SocketAddr>,
    public_url: &kumbu_http::PublicUrl,
) -> bool {
    let local_host = reqwest::Url::parse(public_url.as_str())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .is_some_and(|h| {
            h.eq_ignore_ascii_case("localhost")
                || h.trim_matches(['[', ']'])
                    .parse::<std::net::IpAddr>()
                    .is_ok_and(|ip| ip.is_loopback())
        });
    !local_host
        || !listen.ip().is_loopback()
        || proxypay_listen.is_some_and(|a| !a.ip().is_loopback())
}

/// Opens and migrates the database (a SQLite file is created if missing: `serve`, `migrate`).
pub async fn open_store(url: &str, max_connections: u32) -> anyhow::Result<Store> {
    let opts = StoreOptions {
        max_connections,
        ..StoreOptions::default()
    };
    let store = match Store::connect(url, &opts).await {
        Ok(store) => store,
        Err(e) if e.to_string().contains("does not exist") && url.starts_with("postgres") => {
            let name = url
                .rsplit('/')
                .next()
                .and_then(|n| n.split('?').next())
                .unwrap_or("kumbu");
            anyhow::bail!(
                "the PostgreSQL database {} does not exist: create it first, e.g. \
                 `psql -c 'CREATE DATABASE {name}'` as a user who may (or `createdb {name}`)",
                redact(url)
            );
        }
        Err(e) => {
            return Err(anyhow::Error::new(e))
                .with_context(|| format!("could not open the database {}", redact(url)))
        }
    };
    store
        .migrate()
        .await
        .context("could not migrate the database")?;
    Ok(store)
}

/// Opens and migrates a database that must exist already: every command but `serve` and
/// `migrate`, so that a command run in the wrong directory (or without `--database-url`) says
/// where it looked instead of creating an empty `./kumbu.db` and its key beside it.
pub async fn open_existing_store(url: &str, max_connections: u32) -> anyhow::Result<Store> {
    if let Some(secret_key::SqliteFile::Path(path)) = secret_key::sqlite_file(url) {
        if !path.exists() {
            anyhow::bail!(
                "no database at {} ({}): this command opens an existing database and never \
                 creates one. Point it at yours with --database-url or KUMBU_DATABASE_URL, or \
                 start the gateway once (`kumbu serve`, or `cargo run --release` in the \
                 checkout), which creates it",
                path.display(),
                redact(url)
            );
        }
    }
    open_store(url, max_connections).await
}

/// A database URL with any password (user-info or `password=` parameter) replaced by `***`,
/// for messages and logs.
pub fn redact(url: &str) -> String {
    let url = match url.split_once('?') {
        Some((head, query)) => {
            let params: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    Some(_) | None => kv.to_owned(),
                })
                .collect();
            format!("{head}?{}", params.join("&"))
        }
        None => url.to_owned(),
    };
    let url = url.as_str();
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Installs the SIGINT (Ctrl-C) and SIGTERM handlers now, and returns a future that resolves
/// when either arrives. Call it before announcing readiness, so that a signal sent right after
/// start-up is handled gracefully instead of killing the process.
pub fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let mut term = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
        let mut int = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
        Ok(async move {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
            tracing::info!("shutdown requested: finishing in-flight requests");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async move {
            let _ = tokio::signal::ctrl_c().await;
            tracing::info!("shutdown requested: finishing in-flight requests");
        })
    }
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact("postgres://kumbu:secret@127.0.0.1/db"),
            "postgres://kumbu:***@127.0.0.1/db"
        );
        assert_eq!(redact("sqlite://kumbu.db"), "sqlite://kumbu.db");
        assert_eq!(
            redact("postgres://h/db?user=k&password=s3"),
            "postgres://h/db?user=k&password=***"
        );
    }
}
