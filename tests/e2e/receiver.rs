//! A real local webhook receiver: records every request, answers with a chosen status.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
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
    /// Requests being answered now, and the most at once.
    open: Arc<AtomicUsize>,
    most: Arc<AtomicUsize>,
    /// While `true`, every request waits (unanswered) until it turns `false`.
    gate: Arc<tokio::sync::watch::Sender<bool>>,
    /// Event ids of the requests that arrived while the gate was closed.
    held: Arc<Mutex<Vec<String>>>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

async fn hook(State(s): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let open = s.open.fetch_add(1, Ordering::SeqCst) + 1;
    s.most.fetch_max(open, Ordering::SeqCst);
    if *s.gate.borrow() {
        s.held.lock().unwrap().push(
            headers
                .get("kumbu-event-id")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        );
        let _ = s.gate.subscribe().wait_for(|closed| !closed).await;
    }
    let delay = s.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    s.open.fetch_sub(1, Ordering::SeqCst);
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

    /// Holds every request from now on, unanswered, until [`Receiver::release`]: an endpoint as
    /// slow as the test wants, with no clock involved.
    pub fn hold(&self) {
        self.shared.gate.send_replace(true);
    }

    /// Answers the held requests, and every later one at once.
    pub fn release(&self) {
        self.shared.gate.send_replace(false);
    }

    /// The event ids of the requests that arrived while held.
    pub fn held(&self) -> Vec<String> {
        self.shared.held.lock().unwrap().clone()
    }

    /// Requests arrived and not answered yet.
    pub fn open(&self) -> usize {
        self.shared.open.load(Ordering::SeqCst)
    }

    /// Answers only after this many milliseconds from now on.
    pub fn slow(&self, ms: u64) {
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// The most requests it was answering at once.
    pub fn most_at_once(&self) -> usize {
        self.shared.most.load(Ordering::SeqCst)
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

/// A header's value in a request head (names compared without case).
fn header(head: &str, name: &str) -> Option<String> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().to_owned())
    })
}

/// A small host (a PHP site on one worker, say): it serves at most `capacity` connections at
/// once, each taking `service_ms`; a connection beyond that is dropped without an answer, as
/// a full accept queue or worker pool would. Every answer closes its connection.
pub struct SmallHost {
    pub url: String,
    served: Arc<Mutex<Vec<String>>>,
    dropped: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl SmallHost {
    pub async fn start(capacity: usize, service_ms: u64) -> SmallHost {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let served: Arc<Mutex<Vec<String>>> = Arc::default();
        let dropped = Arc::new(AtomicUsize::new(0));
        let open = Arc::new(AtomicUsize::new(0));
        let (served2, dropped2) = (served.clone(), dropped.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut sock, _)) = listener.accept().await else {
                    continue;
                };
                if open.fetch_add(1, Ordering::SeqCst) >= capacity {
                    open.fetch_sub(1, Ordering::SeqCst);
                    dropped2.fetch_add(1, Ordering::SeqCst);
                    drop(sock);
                    continue;
                }
                let (open, served) = (open.clone(), served2.clone());
                tokio::spawn(async move {
                    let mut buf = Vec::new();
                    let mut chunk = [0u8; 8192];
                    // The head, then the body by Content-Length.
                    let request = loop {
                        let Ok(n) = sock.read(&mut chunk).await else {
                            break None;
                        };
                        if n == 0 {
                            break None;
                        }
                        buf.extend_from_slice(&chunk[..n]);
                        let text = String::from_utf8_lossy(&buf).into_owned();
                        if let Some(end) = text.find("\r\n\r\n") {
                            let head = text[..end].to_owned();
                            let length: usize = header(&head, "content-length")
                                .and_then(|v| v.trim().parse().ok())
                                .unwrap_or(0);
                            if buf.len() >= end + 4 + length {
                                break Some(head);
                            }
                        }
                    };
                    tokio::time::sleep(std::time::Duration::from_millis(service_ms)).await;
                    // Free before answering: the next connection may come as soon as this answer.
                    open.fetch_sub(1, Ordering::SeqCst);
                    if let Some(head) = request {
                        let id = header(&head, "kumbu-event-id").unwrap_or_default();
                        let _ = sock
                            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                            .await;
                        served.lock().unwrap().push(id);
                    }
                    let _ = sock.shutdown().await;
                });
            }
        });
        SmallHost {
            url,
            served,
            dropped,
            task,
        }
    }

    /// Event ids it answered, in order.
    pub fn served(&self) -> Vec<String> {
        self.served.lock().unwrap().clone()
    }

    /// Connections it dropped for want of room.
    pub fn dropped(&self) -> usize {
        self.dropped.load(Ordering::SeqCst)
    }
}

impl Drop for SmallHost {
    fn drop(&mut self) {
        self.task.abort();
    }
}
