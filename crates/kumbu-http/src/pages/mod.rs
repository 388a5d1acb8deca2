//! Pages for people: the hosted checkout at `/pay/{token}` (docs/checkout.md).
//!
//! Server-rendered HTML that works with JavaScript off (forms, and a waiting view that
//! refreshes itself), enhanced by one small script of Kumbu's own. Nothing is loaded from
//! elsewhere: no CDN, no web fonts. Every response carries the same protections: a
//! Content-Security-Policy without `unsafe-inline` (the one `<style>`, the brand colour, carries
//! a per-response nonce), no framing, no referrer, no caching, no indexing. Every POST carries a
//! CSRF token bound to the session and to a cookie of the browser (signed double submit).

mod checkout;
mod format;
mod messages;
mod render;

use crate::AppState;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use kumbu_core::Locale;
use kumbu_engine::{Engine, EngineError};
use messages::{t, Msg};

/// The stylesheet, served from `/pay/assets/checkout.css`.
const CSS: &str = include_str!("assets/checkout.css");
/// The script, served from `/pay/assets/checkout.js`.
const JS: &str = include_str!("assets/checkout.js");

/// The cookie holding the browser's CSRF nonce.
const CSRF_COOKIE: &str = "kumbu_csrf";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/pay/assets/checkout.css", get(css))
        .route("/pay/assets/checkout.js", get(js))
        .route("/pay/{token}", get(checkout::show).post(checkout::start))
        .route("/pay/{token}/cancel", axum::routing::post(checkout::cancel))
        .route(
            "/pay/{token}/sandbox",
            axum::routing::post(checkout::sandbox),
        )
        .route("/pay/{token}/status", get(checkout::status))
        .route(
            "/pay/{token}/predict",
            axum::routing::post(checkout::predict),
        )
}

/// Adds the headers every page response carries; `nonce` is the `<style>` element's, if any.
pub(crate) fn secure(resp: &mut Response, nonce: Option<&str>) {
    let style = match nonce {
        Some(n) => format!("style-src 'self' 'nonce-{n}'"),
        None => "style-src 'self'".to_owned(),
    };
    let csp = format!(
        "default-src 'none'; script-src 'self'; {style}; img-src 'self' data:; \
         connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    );
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(
        "x-robots-tag",
        HeaderValue::from_static("noindex, nofollow"),
    );
}

/// An HTML page with the protections above.
pub(crate) fn html_response(status: StatusCode, body: String, nonce: &str) -> Response {
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response();
    secure(&mut resp, Some(nonce));
    resp
}

fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    secure(&mut resp, None);
    // Assets change only with a new build; a day of caching spares data on cheap plans.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    resp
}

async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

async fn js() -> Response {
    asset("text/javascript; charset=utf-8", JS)
}

/// The page's language: the switch's choice, else the session's, else the browser's
/// `Accept-Language`, else English.
pub(crate) fn locale_for(
    chosen: Option<Locale>,
    session: Option<Locale>,
    headers: &HeaderMap,
) -> Locale {
    chosen
        .or(session)
        .or_else(|| {
            headers
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Locale::negotiate)
        })
        .unwrap_or(Locale::En)
}

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

/// Why a page could not be shown, rendered as a page in words.
#[derive(Debug)]
pub(crate) enum PageError {
    /// No session behind the link.
    NotFound(Locale),
    /// The form's CSRF token did not match.
    Csrf(Locale),
    /// The form body could not be read.
    BadForm,
    /// The database failed.
    Unavailable(Locale),
}

impl PageError {
    /// An engine error met while loading a page or acting on it: a refusal means the link
    /// leads nowhere; a store failure is logged and answered "try again shortly".
    pub(crate) fn from_engine(e: EngineError, locale: Locale) -> Self {
        match e {
            EngineError::Rejected(_) => PageError::NotFound(locale),
            EngineError::Store(s) => {
                tracing::error!(error = %s, "checkout page failed in the store");
                PageError::Unavailable(locale)
            }
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, locale, title, help) = match self {
            PageError::NotFound(l) => (
                StatusCode::NOT_FOUND,
                l,
                Msg::NotFound,
                t(l, Msg::NotFoundHelp),
            ),
            PageError::Csrf(l) => (StatusCode::FORBIDDEN, l, Msg::Title, t(l, Msg::FormExpired)),
            PageError::BadForm => (
                StatusCode::BAD_REQUEST,
                Locale::En,
                Msg::Title,
                t(Locale::En, Msg::FormExpired),
            ),
            PageError::Unavailable(l) => (
                StatusCode::SERVICE_UNAVAILABLE,
                l,
                Msg::Title,
                t(l, Msg::ErrUnavailable),
            ),
        };
        let markup = render::bare(locale, title, help);
        let mut resp = (
            status,
            [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
            markup.into_string(),
        )
            .into_response();
        secure(&mut resp, None);
        resp
    }
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
