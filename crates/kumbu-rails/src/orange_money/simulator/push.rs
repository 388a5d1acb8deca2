//! Orange Cameroon's payment API ("mp", a USSD/PIN prompt on the payer's phone, as MTN's request
//! to pay): `POST /token`, then under `/omcoreapis/1.0.2/mp/`: `init` (a `payToken`), `pay`
//! (the prompt), `paymentstatus/{payToken}`, and the notification to `notifUrl`. Every call needs
//! a Bearer token and `X-AUTH-TOKEN: base64(api_username:api_password)`; a token Orange no longer
//! knows is refused with the WSO2 gateway's fault `900901`, a missing one with `900902`.
//!
//! The outcome follows the payer's number as on the Web Payment page (`page.rs`), decided
//! `approval_delay` after `pay`; `…009` waits for `POST /_simulator/mp/{payToken}/approve` or
//! `/decline`. Orange spells success `SUCCESSFULL`; the simulator does too. The notification's
//! body is not documented: the simulator posts `{"payToken", "status", "txnid", "message"}` [?].

use super::state::State;
use super::state::{outcome_for, MpPay, MpPayment, Outcome};
use super::Sim;
use crate::sim_http::{header, reply, take_one};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// The WSO2 gateway's fault body.
fn fault(code: u32, message: &str, description: &str) -> Response {
    reply(
        StatusCode::UNAUTHORIZED,
        json!({ "fault": { "code": code, "message": message, "description": description } }),
    )
}

fn refused(status: StatusCode, message: &str) -> Response {
    reply(status, json!({ "message": message, "data": Value::Null }))
}

/// A refusal of the call's credentials, if any: the Bearer token (WSO2 faults), then
/// `X-AUTH-TOKEN`.
fn unauthorized(sim: &Sim, st: &mut State, headers: &HeaderMap) -> Option<Response> {
    let bearer = header(headers, "authorization").and_then(|h| h.strip_prefix("Bearer "));
    let refusal = match bearer.map(|t| st.tokens.get(t.trim()).copied()) {
        None => Some(fault(
            900_902,
            "Missing Credentials",
            "Invalid Credentials. Make sure your API invocation call has a header: 'Authorization : Bearer ACCESS_TOKEN'",
        )),
        Some(Some(until)) if until > Instant::now() => None,
        Some(Some(_) | None) => Some(fault(
            900_901,
            "Invalid Credentials",
            "Access failure for API: /omcoreapis/1.0.2, version: 1.0.2 status: (900901) - Invalid Credentials. Make sure you have given the correct access token",
        )),
    };
    let refusal = refusal.or_else(|| {
        let given = header(headers, "x-auth-token")
            .and_then(|v| base64::engine::general_purpose::STANDARD.decode(v).ok())
            .and_then(|v| String::from_utf8(v).ok());
        let users = &sim.inner.config.api_users;
        let known = match given.as_deref().and_then(|g| g.split_once(':')) {
            Some((u, p)) if !u.is_empty() => {
                users.is_empty() || users.iter().any(|(a, b)| a == u && b == p)
            }
            Some(_) | None => false,
        };
        (!known).then(|| {
            refused(
                StatusCode::UNAUTHORIZED,
                "X-AUTH-TOKEN must be base64(api_username:api_password) of a known API user",
            )
        })
    });
    if refusal.is_some() {
        st.stats.unauthorized += 1;
    }
    refusal
}

/// `POST /omcoreapis/1.0.2/mp/init`: a new `payToken`.
pub(super) fn init(sim: &Sim, headers: &HeaderMap) -> Response {
    let mut st = sim.lock();
    if let Some(r) = unauthorized(sim, &mut st, headers) {
        return r;
    }
    let pay_token = format!("MP{}", crate::sim_http::random(20).to_uppercase());
    st.mp.insert(
        pay_token.clone(),
        MpPayment {
            initiated: Instant::now(),
            pay: None,
        },
    );
    reply(
        StatusCode::OK,
        json!({ "message": "Payment request successfully initiated", "data": { "payToken": pay_token } }),
    )
}

fn text<'a>(o: &'a Value, field: &str) -> Option<&'a str> {
    o.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// `POST /omcoreapis/1.0.2/mp/pay`: prompts the payer.
pub(super) fn pay(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Response {
    let mut st = sim.lock();
    if let Some(r) = unauthorized(sim, &mut st, headers) {
        return r;
    }
    let Ok(o) = serde_json::from_slice::<Value>(body) else {
        return refused(StatusCode::BAD_REQUEST, "the body must be JSON");
    };
    let mut fields = Vec::with_capacity(7);
    for f in [
        "payToken",
        "orderId",
        "subscriberMsisdn",
        "channelUserMsisdn",
        "notifUrl",
        "pin",
        "description",
    ] {
        match text(&o, f) {
            Some(v) => fields.push(v.to_owned()),
            None => return refused(StatusCode::BAD_REQUEST, &format!("{f} is required")),
        }
    }
    let amount = match &o["amount"] {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
    };
    let Some(amount) = amount.filter(|a| *a > 0) else {
        return refused(
            StatusCode::BAD_REQUEST,
            "amount must be a positive whole number",
        );
    };
    let [pay_token, order_id, subscriber, channel_user, notif_url, pin, description]: [String; 7] =
        fields
            .try_into()
            .unwrap_or_else(|_| unreachable!("seven fields read"));
    if sim.inner.config.pin.as_ref().is_some_and(|p| *p != pin) {
        return refused(StatusCode::BAD_REQUEST, "the channel user's PIN is wrong");
    }
    if !subscriber.bytes().all(|b| b.is_ascii_digit()) || subscriber.len() != 9 {
        return refused(
            StatusCode::BAD_REQUEST,
            "subscriberMsisdn must be a Cameroonian number of 9 digits, without 237",
        );
    }
    // A prompt that would have gone out (its payToken known, unused, open) is lost on the way:
    // the payToken stays INITIATED.
    let window = sim.inner.config.payment_window;
    let would_send = st
        .mp
        .get(&pay_token)
        .is_some_and(|mp| mp.pay.is_none() && mp.initiated.elapsed() < window);
    if would_send && take_one(&mut st.faults.lose_next_prompts) {
        return refused(StatusCode::INTERNAL_SERVER_ERROR, "internal error");
    }
    let next = st.stats.mp_payments + 1;
    let Some(mp) = st.mp.get_mut(&pay_token) else {
        return refused(
            StatusCode::NOT_FOUND,
            "unknown payToken: call mp/init first",
        );
    };
    if mp.pay.is_some() {
        return refused(StatusCode::CONFLICT, "this payToken was already used");
    }
    if mp.initiated.elapsed() >= sim.inner.config.payment_window {
        return refused(
            StatusCode::BAD_REQUEST,
            "this payToken expired: call mp/init again",
        );
    }
    let manual = subscriber.ends_with("009").then_some(None);
    let outcome = outcome_for(&subscriber);
    let paid = MpPay {
        order_id,
        amount,
        subscriber,
        channel_user,
        notif_url,
        description,
        txnid: format!("MP{:06}.{:04}.C{:05}", 260_921, next % 10_000, next),
        outcome,
        manual,
        at: Instant::now(),
    };
    mp.pay = Some(paid.clone());
    st.stats.mp_payments += 1;
    drop(st);
    if paid.manual.is_none() {
        schedule(sim, &pay_token, sim.inner.config.approval_delay);
    }
    reply(
        StatusCode::OK,
        json!({ "message": "Merchant payment successfully initiated", "data": view(&pay_token, &paid, "PENDING") }),
    )
}

fn view(pay_token: &str, p: &MpPay, status: &str) -> Value {
    json!({
        "payToken": pay_token,
        "txnid": p.txnid,
        "orderId": p.order_id,
        "amount": p.amount.to_string(),
        "subscriberMsisdn": p.subscriber,
        "channelUserMsisdn": p.channel_user,
        "description": p.description,
        "notifUrl": p.notif_url,
        "status": status,
        "inittxnstatus": "200",
        "inittxnmessage": "Paiement en attente de confirmation par le client",
        "confirmtxnstatus": if status == "PENDING" { Value::Null } else { json!("200") },
    })
}

/// `GET /omcoreapis/1.0.2/mp/paymentstatus/{payToken}`.
pub(super) fn status(sim: &Sim, headers: &HeaderMap, pay_token: &str) -> Response {
    let mut st = sim.lock();
    if let Some(r) = unauthorized(sim, &mut st, headers) {
        return r;
    }
    let (approval, window) = (
        sim.inner.config.approval_delay,
        sim.inner.config.payment_window,
    );
    let Some(mp) = st.mp.get(pay_token) else {
        return refused(StatusCode::NOT_FOUND, "unknown payToken");
    };
    let Some(p) = &mp.pay else {
        let status = if mp.initiated.elapsed() >= window {
            "EXPIRED"
        } else {
            "INITIATED"
        };
        return reply(
            StatusCode::OK,
            json!({ "message": "Payment initiated", "data": { "payToken": pay_token, "status": status } }),
        );
    };
    let answer = view(pay_token, p, p.status_at(Instant::now(), approval, window));
    st.stats.status_queries += 1;
    reply(
        StatusCode::OK,
        json!({ "message": "Transaction status", "data": answer }),
    )
}

/// `POST /_simulator/mp/{payToken}/approve|decline`: a person answers a `…009` prompt. `None`
/// when no prompt waits for a person (unknown, not `…009`, answered, or expired: a final status
/// never changes).
pub(super) fn answer(sim: &Sim, pay_token: &str, approve: bool) -> Option<&'static str> {
    let (approval, window) = (
        sim.inner.config.approval_delay,
        sim.inner.config.payment_window,
    );
    let mut st = sim.lock();
    let p = st.mp.get_mut(pay_token)?.pay.as_mut()?;
    let waiting = p.status_at(Instant::now(), approval, window) == "PENDING";
    if !matches!(p.manual, Some(None)) || !waiting {
        return None;
    }
    p.manual = Some(Some(approve));
    drop(st);
    schedule(sim, pay_token, Duration::ZERO);
    Some(if approve { "SUCCESSFULL" } else { "FAILED" })
}

/// Sends the notification of `pay_token` once decided (`after` from now).
fn schedule(sim: &Sim, pay_token: &str, after: Duration) {
    let (sim, pay_token) = (sim.clone(), pay_token.to_owned());
    sim.lock().stats.notifications_pending += 1;
    tokio::spawn(async move {
        tokio::time::sleep(after).await;
        let (approval, window) = (
            sim.inner.config.approval_delay,
            sim.inner.config.payment_window,
        );
        let found = sim.lock().mp.get(&pay_token).and_then(|m| m.pay.clone());
        if let Some(p) = found {
            let status = p.status_at(Instant::now(), approval, window);
            if status != "PENDING" && p.outcome != Outcome::PaySilently {
                let body = json!({ "payToken": pay_token, "status": status, "txnid": p.txnid,
                    "message": "Transaction terminée" });
                let copies = if p.outcome == Outcome::PayNotifyingTwice {
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    super::notify::send(&sim, &p.notif_url, &body).await;
                }
            }
        }
        sim.lock().stats.notifications_pending -= 1;
    });
}
