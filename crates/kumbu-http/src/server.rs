//! The listener loop: how connections are accepted and how long a slow or idle one is kept.
//!
//! `axum::serve` sets no timer, so a client that never finishes its headers holds its connection
//! (and its task and buffers) forever, and accepts are unbounded. Here, on hyper's HTTP/1 server:
//!
//! - **Header read**: a request's headers must arrive whole within
//!   [`ConnectionLimits::header_read_timeout`] of the connection's opening (the first request) or
//!   of their first byte (later ones), or the connection is closed: slow-loris. The body is then
//!   bounded by the handlers' 30 s timeout and the 64 KiB body limit.
//! - **Idle**: a connection with no request under way is closed after
//!   [`ConnectionLimits::idle_timeout`] (hyper's head-read timer, which runs from the moment a
//!   connection waits for a request). Behind a load balancer make it longer than the balancer's
//!   own idle timeout, so that the balancer, not Kumbu, closes idle connections. The moment
//!   hyper arms that timer is also how a connection is known to be between requests again
//!   ([`HeadTimer`]): a body hyper drains after its response is not mistaken for a new head.
//! - **Stalled reader**: a client that takes none of its response for the idle timeout is
//!   disconnected, so that it cannot keep its slot (or a graceful shutdown) forever.
//! - **Cap**: at most [`ConnectionLimits::max_connections`] connections at once per listener; more
//!   wait, unaccepted, in the kernel's queue until one closes.

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper::rt::Timer;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt;

/// How long a connection may be slow or idle, and how many may be open at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// From a request's first byte, how long its headers may take to arrive.
    pub header_read_timeout: Duration,
    /// How long a connection with no request under way is kept open.
    pub idle_timeout: Duration,
    /// Most connections open at once on one listener.
    pub max_connections: usize,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        Self {
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(75),
            max_connections: 2048,
        }
    }
}

/// Serves `app` on `listener` until `shutdown` completes; in-flight requests finish.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnectionLimits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            () = &mut shutdown => break,
            accepted = accept(&listener, &slots) => accepted,
        };
        let Some((stream, peer, slot)) = accepted else {
            continue;
        };
        // A new connection's first request is due at once: its deadline runs from the accept.
        let phase = Arc::new(AtomicU8::new(HEAD));
        let io = TokioIo::new(HeaderDeadline::new(stream, phase.clone(), &limits));
        let mut http = hyper::server::conn::http1::Builder::new();
        http.timer(HeadTimer {
            phase: phase.clone(),
        })
        .header_read_timeout(limits.idle_timeout);
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            phase.store(BUSY, Ordering::Relaxed);
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = graceful.watch(http.serve_connection(io, service));
        tokio::spawn(async move {
            let _slot = slot;
            if let Err(e) = conn.await {
                tracing::debug!(%peer, error = %e, "connection closed");
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The next connection, once a slot is free. `None` after an accept error (out of file
/// descriptors, say), logged and followed by a short pause rather than a busy loop.
async fn accept(
    listener: &TcpListener,
    slots: &Arc<Semaphore>,
) -> Option<(
    tokio::net::TcpStream,
    SocketAddr,
    tokio::sync::OwnedSemaphorePermit,
)> {
    let slot = slots.clone().acquire_owned().await.ok()?;
    match listener.accept().await {
        Ok((stream, peer)) => {
            let _ = stream.set_nodelay(true);
            Some((stream, peer, slot))
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not accept a connection");
            tokio::time::sleep(Duration::from_millis(100)).await;
            None
        }
    }
}

/// Between requests: hyper waits for the next head (its idle timer runs).
const WAITING: u8 = 0;
/// A request's head is arriving: its deadline runs.
const HEAD: u8 = 1;
/// A request is being handled and answered (its body is the handler's to bound).
const BUSY: u8 = 2;

/// hyper's timer, noting when hyper starts waiting for a connection's next head: it arms its
/// head-read timer then, and only then (`proto::h1::conn::poll_read_head`).
#[derive(Debug, Clone)]
struct HeadTimer {
    phase: Arc<AtomicU8>,
}

impl HeadTimer {
    /// Hyper waits for a head: after a request, the connection is between requests. (The first
    /// request's phase stays `HEAD`: its deadline runs from the accept.)
    fn waiting(&self) {
        let _ = self
            .phase
            .compare_exchange(BUSY, WAITING, Ordering::Relaxed, Ordering::Relaxed);
    }
}

impl Timer for HeadTimer {
    fn sleep(&self, duration: Duration) -> Pin<Box<dyn hyper::rt::Sleep>> {
        TokioTimer::new().sleep(duration)
    }

    fn sleep_until(&self, deadline: std::time::Instant) -> Pin<Box<dyn hyper::rt::Sleep>> {
        self.waiting();
        TokioTimer::new().sleep_until(deadline)
    }

    fn reset(&self, sleep: &mut Pin<Box<dyn hyper::rt::Sleep>>, new_deadline: std::time::Instant) {
        self.waiting();
        TokioTimer::new().reset(sleep, new_deadline);
    }

    fn now(&self) -> std::time::Instant {
        TokioTimer::new().now()
    }
}

/// A connection whose request heads must arrive within a deadline from their first byte, and
/// whose client must take its response without stalling for longer than the idle timeout.
struct HeaderDeadline<S> {
    inner: S,
    phase: Arc<AtomicU8>,
    timeout: Duration,
    deadline: Pin<Box<tokio::time::Sleep>>,
    stall_timeout: Duration,
    /// Armed while a write waits on the client.
    stall: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<S> HeaderDeadline<S> {
    fn new(inner: S, phase: Arc<AtomicU8>, limits: &ConnectionLimits) -> Self {
        Self {
            inner,
            phase,
            timeout: limits.header_read_timeout,
            deadline: Box::pin(tokio::time::sleep(limits.header_read_timeout)),
            stall_timeout: limits.idle_timeout,
            stall: None,
        }
    }

    /// A write's outcome, with the stall deadline armed while the client takes nothing.
    fn watch_write<T>(
        &mut self,
        cx: &mut Context<'_>,
        written: Poll<std::io::Result<T>>,
    ) -> Poll<std::io::Result<T>> {
        if written.is_ready() {
            self.stall = None;
            return written;
        }
        let timeout = self.stall_timeout;
        let stall = self
            .stall
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(timeout)));
        if stall.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the client took none of its response in time",
            )));
        }
        Poll::Pending
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for HeaderDeadline<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        if self.phase.load(Ordering::Relaxed) == HEAD && self.deadline.as_mut().poll(cx).is_ready()
        {
            return Poll::Ready(Err(std::io::Error::new(
                std::io::ErrorKind::TimedOut,
                "the request's headers did not arrive in time",
            )));
        }
        let before = buf.filled().len();
        let read = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(read, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            let started = self
                .phase
                .compare_exchange(WAITING, HEAD, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok();
            if started {
                let at = tokio::time::Instant::now() + self.timeout;
                self.deadline.as_mut().reset(at);
                // Registers this task to be woken at the deadline.
                let _ = self.deadline.as_mut().poll(cx);
            }
        }
        read
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for HeaderDeadline<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write(cx, buf);
        self.watch_write(cx, written)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let written = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        self.watch_write(cx, written)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    /// A client that takes nothing of its response is let go after the idle timeout.
    #[tokio::test(start_paused = true)]
    async fn a_stalled_reader_is_let_go() {
        let (server_side, _client_side) = tokio::io::duplex(64);
        let limits = ConnectionLimits {
            idle_timeout: Duration::from_secs(75),
            ..ConnectionLimits::default()
        };
        let phase = Arc::new(AtomicU8::new(BUSY));
        let mut conn = HeaderDeadline::new(server_side, phase, &limits);
        let started = tokio::time::Instant::now();
        let err = conn
            .write_all(&[b'x'; 4096])
            .await
            .expect_err("the write never completes");
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        assert_eq!(started.elapsed().as_secs(), 75);
    }
}
