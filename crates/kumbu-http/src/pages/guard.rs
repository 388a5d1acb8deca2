//! What guards every page's form: the CSRF token every POST carries, bound to the session and
//! to a cookie of the browser (signed double submit).

use axum::http::{header, HeaderMap, HeaderValue};
use kumbu_engine::Engine;
/// The cookie holding the browser's CSRF nonce.
const CSRF_COOKIE: &str = "kumbu_csrf";

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
