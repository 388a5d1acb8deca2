//! What the operators' simulators share: their core (configuration, state behind one lock, the
//! HTTP client they call back with), JSON and empty answers, reading a header as operators read
//! it (trimmed; empty is absent), the latency fault, and serving.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// A JSON answer.
pub(crate) fn reply(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

/// An answer with no body.
pub(crate) fn empty(status: StatusCode) -> Response {
    status.into_response()
}

/// A header's value, trimmed; `None` when absent, empty or not text.
pub(crate) fn header<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Serves a simulator's `router` on `listener` until `shutdown` completes.
pub(crate) async fn serve(
    router: axum::Router,
    listener: tokio::net::TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router)
        .with_graceful_shutdown(shutdown)
        .await
}

/// What every simulator holds: its configuration, its state behind one lock, and the HTTP client
/// it calls merchants back with.
#[derive(Debug)]
pub(crate) struct Core<C, S> {
    /// How it behaves.
    pub config: C,
    state: std::sync::Mutex<S>,
    /// Callbacks, notifications and webhooks go out through it.
    pub http: reqwest::Client,
}

impl<C, S> Core<C, S> {
    /// A core whose callbacks wait `callback_timeout` for an answer.
    pub fn new(config: C, state: S, callback_timeout: std::time::Duration) -> Self {
        Self {
            config,
            state: std::sync::Mutex::new(state),
            http: crate::connector::http_client(callback_timeout),
        }
    }

    /// The state (a panic while it was held does not make it unreadable).
    pub fn lock(&self) -> std::sync::MutexGuard<'_, S> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// `len` random letters and digits (tokens and ids the simulators hand out).
pub(crate) fn random(len: usize) -> String {
    use rand::distributions::{Alphanumeric, DistString};
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

/// Sleeps `ms` milliseconds (the latency fault), if any.
pub(crate) async fn latency(ms: u64) {
    if ms > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
}

/// Uses up one of a fault's next-N count (`fail_next`, `hang_next`): whether one was left.
pub(crate) fn take_one(count: &mut u32) -> bool {
    let left = *count > 0;
    if left {
        *count -= 1;
    }
    left
}

/// For the simulators' tests: a receiver of callbacks and a wait.
#[cfg(test)]
pub(crate) mod testing {
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    /// What a receiver got: each request's `Wave-Signature` (empty when absent) and raw body.
    pub type Received = Arc<Mutex<Vec<(String, String)>>>;

    /// A server on a free port that answers 200 to every POST and keeps it; its URL.
    pub async fn receiver() -> (String, Received) {
        let got: Received = Arc::new(Mutex::new(Vec::new()));
        let seen = got.clone();
        let app =
            axum::Router::new().fallback(move |headers: axum::http::HeaderMap, body: String| {
                let seen = seen.clone();
                async move {
                    let sig = headers
                        .get("wave-signature")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default()
                        .to_owned();
                    seen.lock().unwrap().push((sig, body));
                    "ok"
                }
            });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, got)
    }

    /// Waits (real time, at most two seconds) until `cond` holds.
    pub async fn until(what: &str, cond: impl Fn() -> bool) {
        for _ in 0..200 {
            if cond() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("timed out waiting for {what}");
    }
}
