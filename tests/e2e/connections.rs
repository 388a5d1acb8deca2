//! How the gateway holds connections (issue 23, item 3), over raw sockets: a client that never
//! finishes its headers is disconnected after the header-read timeout, a kept-alive connection
//! after the idle timeout, and past the cap a new connection waits until another closes. Before,
//! `axum::serve` set no timer: a connection sending half a request stayed open forever.

use crate::harness::{Backend, Opts, TestApp};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: kumbu\r\n\r\n";

/// Sends a request on `s` and reads its answer: the status code.
async fn ask(s: &mut TcpStream) -> u16 {
    s.write_all(HEALTHZ).await.unwrap();
    answer(s).await.expect("an answer")
}

/// Reads one response (head and `Content-Length` body): its status, `None` if the connection
/// closed first.
async fn answer(s: &mut TcpStream) -> Option<u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match s.read(&mut chunk).await {
            Ok(0) | Err(_) => return None,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < head_end + length {
        let n = s.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    head.get(9..12).and_then(|c| c.parse().ok())
}

/// Whether the server closes `s` within `limit` (reading nothing more).
async fn closed_within(s: &mut TcpStream, limit: Duration) -> bool {
    let mut byte = [0u8; 1];
    matches!(
        tokio::time::timeout(limit, s.read(&mut byte)).await,
        Ok(Ok(0) | Err(_))
    )
}

async fn slow_idle_and_too_many_connections(backend: Backend) {
    let opts = Opts {
        connections: kumbu_http::ConnectionLimits {
            header_read_timeout: Duration::from_secs(1),
            idle_timeout: Duration::from_secs(3),
            max_connections: 2,
        },
        ..Opts::default()
    };
    let Some(app) = TestApp::spawn_with(backend, "connections", opts).await else {
        return;
    };
    let addr = app.base.trim_start_matches("http://").to_owned();
    let connect = || TcpStream::connect(addr.clone());

    // Half a request, then a byte now and then: disconnected at the header-read timeout.
    let mut loris = connect().await.unwrap();
    loris
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: k")
        .await
        .unwrap();
    let (mut rd, mut wr) = loris.into_split();
    let dribble = tokio::spawn(async move {
        // A header value that never ends (the write half stays open: no EOF to give up on).
        wr.write_all(b"umbu\r\nX-Slow: ").await.unwrap();
        while wr.write_all(b"a").await.is_ok() {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    });
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(10), rd.read(&mut byte)).await;
    assert!(
        matches!(read, Ok(Ok(0) | Err(_))),
        "a connection still sending its headers after the timeout is closed: {read:?}"
    );
    dribble.abort();

    // A connection that sends nothing at all: closed at the header-read timeout too.
    let mut silent = connect().await.unwrap();
    assert!(closed_within(&mut silent, Duration::from_secs(10)).await);

    // A kept-alive connection may wait past the header-read timeout for its next request…
    let mut kept = connect().await.unwrap();
    assert_eq!(ask(&mut kept).await, 200);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(ask(&mut kept).await, 200);
    // …until the idle timeout.
    assert!(closed_within(&mut kept, Duration::from_secs(10)).await);

    // A request refused before its body is read (no key): hyper drains the body, and the
    // connection is then idle, not a head that is late.
    let mut drained = connect().await.unwrap();
    drained
        .write_all(b"POST /v1/payments HTTP/1.1\r\nHost: kumbu\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();
    assert_eq!(answer(&mut drained).await, Some(401));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        ask(&mut drained).await,
        200,
        "kept past the header-read timeout"
    );

    // Two connections at most: a third is not served until one of them closes.
    tokio::time::sleep(Duration::from_millis(3500)).await; // the harness's own are closed by now
    let (mut a, mut b) = (connect().await.unwrap(), connect().await.unwrap());
    assert_eq!((ask(&mut a).await, ask(&mut b).await), (200, 200));
    let mut third = connect().await.unwrap();
    third.write_all(HEALTHZ).await.unwrap();
    let waited = tokio::time::timeout(Duration::from_millis(700), answer(&mut third)).await;
    assert!(
        waited.is_err(),
        "a third connection is held back: {waited:?}"
    );
    drop(a);
    let served = tokio::time::timeout(Duration::from_secs(10), answer(&mut third)).await;
    assert_eq!(served.ok().flatten(), Some(200), "served once a slot frees");
    drop((b, third));
    app.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_idle_and_too_many_connections_sqlite() {
    slow_idle_and_too_many_connections(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_idle_and_too_many_connections_postgres() {
    slow_idle_and_too_many_connections(Backend::Postgres).await;
}
