//! What guards every page request: the client's address (trusting only a private proxy's
//! `X-Forwarded-For`) and the CSRF token every POST carries, bound to the session and to a cookie
//! of the browser (signed double submit).

use axum::http::{header, HeaderMap, HeaderValue};
use kumbu_engine::Engine;
/// The cookie holding the browser's CSRF nonce.
const CSRF_COOKIE: &str = "kumbu_csrf";

/// The network address a request comes from: the peer's, or, when the peer is a proxy on
/// this machine or a private network, the last address that proxy added to `X-Forwarded-For`
/// (the one it saw; earlier ones are the client's word and are ignored). `None` when a proxy
/// gave no address it saw: the per-address limit is then not applied, rather than making every
/// customer behind the proxy share one count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ClientIp(pub Option<String>);

/// An address as a proxy writes it: `1.2.3.4`, `1.2.3.4:5678`, `[::1]:5678` or `::1`.
fn parse_forwarded(entry: &str) -> Option<std::net::IpAddr> {
    let e = entry.trim();
    e.parse::<std::net::IpAddr>()
        .ok()
        .or_else(|| e.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
}

fn client_ip(peer: Option<std::net::IpAddr>, forwarded_for: &[&str]) -> Option<String> {
    let peer = peer.map(|ip| ip.to_canonical());
    let behind_proxy = peer.is_some_and(|ip| match ip {
        std::net::IpAddr::V4(v4) => v4.is_loopback() || v4.is_private(),
        std::net::IpAddr::V6(v6) => v6.is_loopback() || (v6.segments()[0] & 0xfe00) == 0xfc00,
    });
    if !behind_proxy {
        return peer.map(|p| p.to_string());
    }
    // The last entry of the last header line is the one the trusted proxy added.
    forwarded_for
        .last()
        .and_then(|line| line.rsplit(',').next())
        .and_then(parse_forwarded)
        .map(|ip| ip.to_canonical().to_string())
        .or_else(|| {
            // A proxy-less local client (a developer's browser, a test) has no header at all.
            forwarded_for
                .is_empty()
                .then(|| peer.map(|p| p.to_string()))
                .flatten()
        })
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let forwarded: Vec<&str> = parts
            .headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .collect();
        Ok(ClientIp(client_ip(peer, &forwarded)))
    }
}

/// A browser's CSRF nonce and the form token derived from it.
#[derive(Debug)]
pub(crate) struct Csrf {
    nonce: String,
    /// Whether the nonce is new (the response must set the cookie).
    fresh: bool,
    /// The value of the forms' hidden `csrf` field.
    pub field: String,
}

fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, v)| {
            *k == CSRF_COOKIE
                && (16..=64).contains(&v.len())
                && v.bytes().all(|b| b.is_ascii_alphanumeric())
        })
        .map(|(_, v)| v.to_owned())
}

fn csrf_data(token: &str, nonce: &str) -> Vec<u8> {
    format!("checkout-csrf:{token}:{nonce}").into_bytes()
}

impl Csrf {
    /// The browser's nonce (or a new one) and the token for forms of the session `token`.
    pub(crate) fn for_request(engine: &Engine, token: &str, headers: &HeaderMap) -> Self {
        let (nonce, fresh) = match cookie_nonce(headers) {
            Some(n) => (n, false),
            None => (kumbu_core::ids::random_token(32), true),
        };
        let field = engine.mac(&csrf_data(token, &nonce));
        Self {
            nonce,
            fresh,
            field,
        }
    }

    /// Whether a form's `csrf` field matches the browser's cookie for this session.
    pub(crate) fn verify(
        engine: &Engine,
        token: &str,
        headers: &HeaderMap,
        field: Option<&str>,
    ) -> bool {
        match (cookie_nonce(headers), field) {
            (Some(nonce), Some(f)) => engine.verify_mac(&csrf_data(token, &nonce), f),
            (None, _) | (_, None) => false,
        }
    }

    /// The `Set-Cookie` value when the nonce is new. `Lax`, so that a customer arriving from
    /// the merchant's site keeps the nonce an open tab's form was made with.
    pub(crate) fn set_cookie(&self, secure: bool) -> Option<HeaderValue> {
        self.fresh.then(|| csrf_cookie(&self.nonce, secure))
    }
}

/// `kumbu_csrf=<nonce>; Path=/pay; HttpOnly; SameSite=Lax[; Secure]`.
pub(crate) fn csrf_cookie(nonce: &str, secure: bool) -> HeaderValue {
    let v = format!(
        "{CSRF_COOKIE}={nonce}; Path=/pay; Max-Age=86400; HttpOnly; SameSite=Lax{}",
        if secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_addresses_trust_only_a_private_proxy() {
        let ip = |s: &str| s.parse().ok();
        let some = |s: &str| Some(s.to_owned());
        let lo = ip("127.0.0.1");
        assert_eq!(
            client_ip(lo, &["1.2.3.4, 41.202.207.7"]),
            some("41.202.207.7")
        );
        // A proxy that adds its own header line: its line, not the client's forged one.
        assert_eq!(
            client_ip(lo, &["6.6.6.6", "41.202.207.7"]),
            some("41.202.207.7")
        );
        assert_eq!(client_ip(lo, &["41.202.207.7:5123"]), some("41.202.207.7"));
        assert_eq!(client_ip(lo, &["[2c0f:f4c0::1]:443"]), some("2c0f:f4c0::1"));
        assert_eq!(client_ip(lo, &[]), some("127.0.0.1"));
        assert_eq!(client_ip(lo, &["garbage"]), None);
        // An IPv4 proxy seen by a dual-stack listener.
        assert_eq!(
            client_ip(ip("::ffff:127.0.0.1"), &["41.202.207.7"]),
            some("41.202.207.7")
        );
        assert_eq!(
            client_ip(ip("196.200.1.9"), &["41.202.207.7"]),
            some("196.200.1.9")
        );
        assert_eq!(
            client_ip(ip("10.0.0.5"), &["41.202.207.7"]),
            some("41.202.207.7")
        );
        assert_eq!(client_ip(None, &[]), None);
    }
}
