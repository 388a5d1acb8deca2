//! The payer's side of a checkout session: the page `wave_launch_url` opens (a number, then pay,
//! or give up), and what an attempt does. The number decides, as Kumbu's sandbox suffixes say
//! (the Orange simulator's table, `outcome_for`): `…039`, `…049`, `…069` fail the attempt (the
//! session stays open, `last_payment_error` set, `checkout.session.payment_failed` sent),
//! `…059` never confirms, `…129` pays without a webhook, `…139` pays with the webhook sent twice;
//! any other number pays (`checkout.session.completed`).

use super::answers::{launch_base, new_id};
use super::{now, webhooks, Sim};
use crate::orange_money::simulator::{outcome_for, Outcome};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use serde_json::{json, Value};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn page(status: StatusCode, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"fr\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Wave (simulator)</title></head><body><h1>Wave</h1>\
         <p><small>Kumbu's simulator of Wave Checkout</small></p>{body}</body></html>"
    );
    (status, Html(html)).into_response()
}

/// `GET /c/{id}`: the payment page.
pub(super) fn show(sim: &Sim, id: &str) -> Response {
    let st = sim.lock();
    let Some(s) = st.sessions.get(id) else {
        return page(StatusCode::NOT_FOUND, "<p>Unknown session.</p>");
    };
    if s.checkout_status_at(now()) != "open" {
        return page(
            StatusCode::OK,
            &format!(
                "<p id=\"closed\">This payment is closed.</p><p><a href=\"{}\">Back</a></p>",
                escape(&s.success_url)
            ),
        );
    }
    let error = s.last_payment_error.as_ref().map_or(String::new(), |e| {
        format!(
            "<p id=\"error\">{}</p>",
            escape(e["message"].as_str().unwrap_or(""))
        )
    });
    page(
        StatusCode::OK,
        &format!(
            "<p id=\"amount\">{} F CFA — {}</p>{error}\
             <form method=\"post\" action=\"/c/{id}\">\
             <label for=\"mobile\">Numéro Wave</label> \
             <input id=\"mobile\" name=\"mobile\" inputmode=\"tel\" autocomplete=\"tel\"> \
             <button id=\"pay\" name=\"action\" value=\"pay\">Payer</button> \
             <button id=\"cancel\" name=\"action\" value=\"cancel\">Annuler</button></form>",
            escape(&s.amount),
            escape(&sim.inner.config.business_name),
            id = escape(id)
        ),
    )
}

/// `POST /c/{id}` (the page's form): an attempt, then back to the merchant.
pub(super) fn answer(sim: &Sim, headers: &HeaderMap, id: &str, form: &[u8]) -> Response {
    let field = |name: &str| {
        form_urlencoded::parse(form)
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let Some((success, error)) = sim
        .lock()
        .sessions
        .get(id)
        .map(|s| (s.success_url.clone(), s.error_url.clone()))
    else {
        return page(StatusCode::NOT_FOUND, "<p>Unknown session.</p>");
    };
    let back = match field("action").as_deref() {
        Some("pay") => {
            let mobile = field("mobile").unwrap_or_default();
            match attempt(sim, headers, id, &mobile) {
                Some(v) if v["payment_status"] == "succeeded" => success,
                Some(_) | None => error,
            }
        }
        Some("cancel") => error,
        Some(_) | None => return page(StatusCode::BAD_REQUEST, "<p>Choose pay or cancel.</p>"),
    };
    (StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response()
}

/// One payment attempt on an open session by `mobile`: the session as it then is, or `None`
/// when it is not open.
pub(super) fn attempt(sim: &Sim, headers: &HeaderMap, id: &str, mobile: &str) -> Option<Value> {
    let at = now();
    let mut st = sim.lock();
    let s = st.sessions.get_mut(id)?;
    if s.checkout_status_at(at) != "open" {
        return None;
    }
    let wrong_payer = s
        .restrict_payer_mobile
        .as_deref()
        .is_some_and(|m| m != mobile);
    let outcome = if wrong_payer {
        Outcome::Refuse
    } else {
        outcome_for(mobile)
    };
    let (event, copies) = match outcome {
        Outcome::NoAnswer => (None, 0),
        Outcome::Refuse => {
            s.last_payment_error = Some(if wrong_payer {
                json!({"code": "payer-mobile-mismatch", "message": "Only the number the merchant named may pay."})
            } else {
                json!({"code": "insufficient-funds", "message": "The payer's balance is too low."})
            });
            (Some("checkout.session.payment_failed"), 1)
        }
        Outcome::Pay | Outcome::PaySilently | Outcome::PayNotifyingTwice => {
            s.checkout_status = "complete";
            s.payment_status = "succeeded";
            s.transaction_id = Some(format!("T_{}", new_id("").to_uppercase()));
            s.when_completed = Some(at);
            s.last_payment_error = None;
            let copies = match outcome {
                Outcome::PaySilently => 0,
                Outcome::PayNotifyingTwice => 2,
                Outcome::Pay | Outcome::Refuse | Outcome::NoAnswer => 1,
            };
            (Some("checkout.session.completed"), copies)
        }
    };
    let view = s.view(at, &sim.inner.config.business_name, &launch_base(headers));
    match event {
        Some("checkout.session.completed") => {
            let amount: i64 = s.amount.parse().unwrap_or(0);
            st.balance += amount;
            st.stats.paid += 1;
        }
        Some(_) => st.stats.payment_failures += 1,
        None => {}
    }
    drop(st);
    if let Some(kind) = event {
        webhooks::send(sim, kind, &view, copies);
    }
    Some(view)
}

/// Pays the session `id` from `mobile` after `after`, as a payer who opened its page would
/// (`Config::sessions_paid_after`, for load tests).
pub(super) fn pay_later(
    sim: &Sim,
    headers: &HeaderMap,
    id: &str,
    mobile: &str,
    after: std::time::Duration,
) {
    let (sim, headers) = (sim.clone(), headers.clone());
    let (id, mobile) = (id.to_owned(), mobile.to_owned());
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        attempt(&sim, &headers, &id, &mobile);
    });
}
