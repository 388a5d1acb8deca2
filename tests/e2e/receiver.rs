//! A real local webhook receiver: records every request, answers with a chosen status.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub struct Received {
    pub signature: String,
    /// ProxyPay's `X-Signature`.
    pub x_signature: String,
    /// PlexosPay's `X-Plexos-Signature` and `X-Plexos-Timestamp`.
    pub plexos_signature: String,
    pub plexos_timestamp: String,
    /// Adullam's `X-Adullam-Signature`.
    pub adullam_signature: String,
    /// Simiz's `X-Simiz-Signature`.
    pub simiz_signature: String,
    pub event_id: String,
    pub body: String,
}

#[derive(Clone, Default)]
struct Shared {
    delay_ms: Arc<std::sync::atomic::AtomicU64>,
    status: Arc<AtomicU16>,
    got: Arc<Mutex<Vec<Received>>>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

async fn hook(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let delay = s.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    s.got.lock().unwrap().push(Received {
        signature: h("kumbu-signature"),
        x_signature: h("x-signature"),
        plexos_signature: h("x-plexos-signature"),
        plexos_timestamp: h("x-plexos-timestamp"),
        adullam_signature: h("x-adullam-signature"),
        simiz_signature: h("x-simiz-signature"),
        event_id: h("kumbu-event-id"),
        body: String::from_utf8_lossy(&body).into_owned(),
    });
    StatusCode::from_u16(s.status.load(Ordering::SeqCst)).unwrap_or(StatusCode::OK)
}

impl Receiver {
    pub async fn start() -> Receiver {
        let shared = Shared::default();
        shared.status.store(200, Ordering::SeqCst);
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url, shared, task }
    }

    /// What the receiver answers from now on.
    pub fn answer(&self, status: u16) {
        self.shared.status.store(status, Ordering::SeqCst);
    }

    /// Answers only after this many milliseconds from now on.
    pub fn slow(&self, ms: u64) {
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// How many requests arrived so far (without taking them).
    pub fn count(&self) -> usize {
        self.shared.got.lock().unwrap().len()
    }

    /// Takes what arrived so far.
    pub fn take(&self) -> Vec<Received> {
        std::mem::take(&mut *self.shared.got.lock().unwrap())
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}
