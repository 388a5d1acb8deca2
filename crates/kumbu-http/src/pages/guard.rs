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

/// The value of the request's cookie `name` (the first, if sent twice).
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn cookie_nonce(headers: &HeaderMap) -> Option<String> {
    cookie(headers, CSRF_COOKIE)
        .filter(|v| (16..=64).contains(&v.len()) && v.bytes().all(|b| b.is_ascii_alphanumeric()))
        .map(str::to_owned)
}

fn csrf_data(token: &str, nonce: &str) -> Vec<u8> {
    format!("checkout-csrf:{token}:{nonce}").into_bytes()
}

impl Csrf {
    /// The browser's nonce (or a new one) and the token for forms of the session `token`
    /// (the dashboard's forms before sign-in use a fixed name for what they guard).
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
        self.fresh.then(|| {
            csrf_cookie(
                &self.nonce,
                CsrfCookie {
                    secure,
                    path: "/pay",
                },
            )
        })
    }

    /// [`Csrf::set_cookie`] for the pages under `path`.
    pub(crate) fn set_cookie_for(&self, cookie: CsrfCookie) -> Option<HeaderValue> {
        self.fresh.then(|| csrf_cookie(&self.nonce, cookie))
    }
}

/// Where the CSRF cookie is sent: over https only (`secure`), under `path`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CsrfCookie {
    /// Whether the gateway is reached over https.
    pub secure: bool,
    /// The pages it guards.
    pub path: &'static str,
}

/// `kumbu_csrf=<nonce>; Path=<path>; HttpOnly; SameSite=Lax[; Secure]`.
pub(crate) fn csrf_cookie(nonce: &str, cookie: CsrfCookie) -> HeaderValue {
    let v = format!(
        "{CSRF_COOKIE}={nonce}; Path={}; Max-Age=86400; HttpOnly; SameSite=Lax{}",
        cookie.path,
        if cookie.secure { "; Secure" } else { "" }
    );
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}
