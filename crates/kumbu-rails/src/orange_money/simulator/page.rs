//! The payer's side of a web payment: the page `payment_url` opens (a number, then pay, decline
//! or give up), and what each answer does. What paying does follows the number typed, as
//! Kumbu's sandbox suffixes say (docs/sandbox.md): `…039`, `…049`, `…069` are refused, `…059`
//! never confirms (the payment expires), `…129` pays without a notification, `…139` pays with
//! the notification sent twice; any other number pays.

use super::notify;
use super::state::{outcome_for, Outcome, Status};
use super::Sim;
use axum::http::{header, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use std::time::Instant;

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, lang: &str, body: &str) -> Response {
    let lang = if lang.len() == 2 && lang.bytes().all(|b| b.is_ascii_lowercase()) {
        lang
    } else {
        "fr"
    };
    let html = format!(
        "<!doctype html><html lang=\"{lang}\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Orange Money (simulator)</title></head><body>\
         <h1>Orange Money</h1><p><small>Kumbu's simulator of Orange Money Web Payment</small></p>\
         {body}</body></html>"
    );
    (status, Html(html)).into_response()
}

/// `GET /webpay/{pay_token}`: the payment page.
pub(super) fn show(sim: &Sim, pay_token: &str, _query: Option<&str>) -> Response {
    let window = sim.inner.config.payment_window;
    let mut st = sim.lock();
    let Some(p) = st.payments.get_mut(pay_token) else {
        return page(StatusCode::NOT_FOUND, "fr", "<p>Unknown payment.</p>");
    };
    let status = p.status_at(Instant::now(), window);
    if status.is_final() {
        let back = escape(&p.return_url);
        return page(
            StatusCode::OK,
            &p.lang,
            &format!(
                "<p id=\"closed\">This payment is closed ({}).</p><p><a href=\"{back}\">Back to the merchant</a></p>",
                status.as_str()
            ),
        );
    }
    p.status = Status::Pending;
    let body = format!(
        "<p id=\"amount\">{} {}</p><p>{}</p>\
         <form method=\"post\" action=\"/webpay/{}\">\
         <label for=\"phone\">Numéro Orange Money</label> \
         <input id=\"phone\" name=\"phone\" inputmode=\"tel\" autocomplete=\"tel\"> \
         <button id=\"pay\" name=\"action\" value=\"pay\">Payer</button> \
         <button id=\"decline\" name=\"action\" value=\"decline\">Refuser</button> \
         <button id=\"cancel\" name=\"action\" value=\"cancel\">Annuler</button>\
         </form>",
        p.amount,
        escape(&p.currency),
        escape(&p.reference),
        escape(pay_token)
    );
    let lang = p.lang.clone();
    st.stats.pages_shown += 1;
    page(StatusCode::OK, &lang, &body)
}

/// `POST /webpay/{pay_token}` (the page's form): pays, declines or gives up, then sends the
/// payer back to the merchant (`return_url`, or `cancel_url` when they give up).
pub(super) fn answer(sim: &Sim, pay_token: &str, form: &[u8]) -> Response {
    let field = |name: &str| {
        form_urlencoded::parse(form)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let (return_url, cancel_url) = match sim.lock().payments.get(pay_token) {
        Some(p) => (p.return_url.clone(), p.cancel_url.clone()),
        None => return page(StatusCode::NOT_FOUND, "fr", "<p>Unknown payment.</p>"),
    };
    let back = match field("action").as_deref() {
        Some("pay") => settle(sim, pay_token, true, field("phone").as_deref()).map(|_| return_url),
        Some("decline") => settle(sim, pay_token, false, None).map(|_| return_url),
        Some("cancel") => Some(cancel_url),
        Some(_) | None => {
            return page(
                StatusCode::BAD_REQUEST,
                "fr",
                "<p>Choose pay, decline or cancel.</p>",
            )
        }
    };
    match back {
        Some(url) => (StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response(),
        None => page(StatusCode::CONFLICT, "fr", "<p>This payment is closed.</p>"),
    }
}

/// Ends an open payment as the payer answered (`pay`, with the number typed, or decline), and
/// sends its notification. `None` when the payment is unknown or no longer open.
pub(super) fn settle(sim: &Sim, pay_token: &str, pay: bool, phone: Option<&str>) -> Option<Status> {
    let window = sim.inner.config.payment_window;
    let mut st = sim.lock();
    let next = st.stats.paid + st.stats.declined + 1;
    let p = st.payments.get_mut(pay_token)?;
    if p.status_at(Instant::now(), window).is_final() {
        return None;
    }
    let outcome = match (pay, phone) {
        (false, _) => Outcome::Refuse,
        (true, Some(n)) => outcome_for(n),
        (true, None) => Outcome::Pay,
    };
    p.payer = phone.map(str::to_owned);
    p.status = match outcome {
        Outcome::Pay | Outcome::PaySilently | Outcome::PayNotifyingTwice => Status::Success,
        Outcome::Refuse => Status::Failed,
        Outcome::NoAnswer => return Some(Status::Pending),
    };
    p.txnid = Some(format!("MP{:06}.{:04}.{:05}", 260_921, next % 10_000, next));
    let status = p.status;
    let ended = p.clone();
    if status == Status::Success {
        st.stats.paid += 1;
    } else {
        st.stats.declined += 1;
    }
    drop(st);
    if outcome != Outcome::PaySilently {
        notify::schedule(sim, &ended, outcome == Outcome::PayNotifyingTwice);
    }
    Some(status)
}

/// Pays the page `pay_token` after `after`, as a payer who opened it and paid without typing a
/// number (`Config::pages_paid_after`, for load tests).
pub(super) fn pay_later(sim: &Sim, pay_token: &str, after: std::time::Duration) {
    let (sim, pay_token) = (sim.clone(), pay_token.to_owned());
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        settle(&sim, &pay_token, true, None);
    });
}
