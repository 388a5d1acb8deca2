//! What every page response shares: the security headers (CSP with a per-response nonce, no
//! framing, no referrer, no caching, no indexing), the HTML response, the static script and
//! stylesheet, and the language chosen for a request.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use kumbu_core::Locale;
use maud::{html, Markup, DOCTYPE};
/// The stylesheet, served from `/pay/assets/checkout.css`.
const CSS: &str = include_str!("assets/checkout.css");

/// The script, served from `/pay/assets/checkout.js`.
const JS: &str = include_str!("assets/checkout.js");

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

/// An HTML page without inline style (no nonce) with the protections above.
pub(crate) fn page_response(status: StatusCode, markup: Markup) -> Response {
    let mut resp = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        markup.into_string(),
    )
        .into_response();
    secure(&mut resp, None);
    resp
}

/// A static asset (script, stylesheet) with the pages' protections and a day of caching.
pub(crate) fn asset(content_type: &'static str, body: &'static str) -> Response {
    let mut resp = ([(header::CONTENT_TYPE, content_type)], body).into_response();
    secure(&mut resp, None);
    // Assets change only with a new build; a day of caching spares data on cheap plans.
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=86400"),
    );
    resp
}

pub(super) async fn css() -> Response {
    asset("text/css; charset=utf-8", CSS)
}

pub(super) async fn js() -> Response {
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

/// The language chosen with the switch, from `?lang=` or a form's `lang`.
pub(crate) fn chosen_lang(query: Option<&str>) -> Option<Locale> {
    form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .find(|(k, _)| k == "lang")
        .and_then(|(_, v)| Locale::parse(&v))
}

/// A page's document: the head every page has (charset, viewport, no indexing, `title`, the
/// checkout's stylesheet), then `head_extra`, then `body` (the whole `<body>` element).
pub(crate) fn document(locale: Locale, title: &str, head_extra: Markup, body: Markup) -> Markup {
    styled_document(locale, title, "/pay/assets/checkout.css", head_extra, body)
}

/// [`document`] with the stylesheet at `stylesheet` (the dashboard has its own).
pub(crate) fn styled_document(
    locale: Locale,
    title: &str,
    stylesheet: &str,
    head_extra: Markup,
    body: Markup,
) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(locale.as_str()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                meta name="robots" content="noindex, nofollow";
                title { (title) }
                link rel="stylesheet" href=(stylesheet);
                (head_extra)
            }
            (body)
        }
    }
}
