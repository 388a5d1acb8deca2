//! Payouts: `POST /v1/payout` (synchronous: the answer says `succeeded`, `failed` with
//! `payout_error`, or `processing`, resolved by reading it later), with `idempotency-key` (the
//! same key and body replay the payout; the same key with another body is refused 409), reads,
//! search by `client_reference`, and `reverse`. The number decides: `…039` recipient limit,
//! `…049` insufficient funds, `…069` blocked account (failed); `…059` processing for
//! `payout_delay`; any other succeeds, while the wallet's balance covers it and Wave's fee (1 %,
//! at least one franc).

use super::answers::{error, francs, invalid, is_mobile, new_id};
use super::state::Payout;
use super::{now, Sim};
use crate::sim_http::{empty, header, reply};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::{json, Value};
use std::time::Duration;

pub(super) async fn create(sim: &Sim, key: &str, headers: &HeaderMap, body: &[u8]) -> Response {
    let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(body) else {
        return invalid("body", "the body must be a JSON object");
    };
    let request = Value::Object(o.clone());
    let idem = header(headers, "idempotency-key").map(str::to_owned);
    let (answer, hang) = {
        let mut st = sim.lock();
        if let Some(k) = &idem {
            if let Some(id) = st.idempotency.get(&(key.to_owned(), k.clone())).cloned() {
                let p = &st.payouts[&id];
                if p.request != request {
                    return error(
                        StatusCode::CONFLICT,
                        "idempotency-mismatch",
                        "This idempotency key was used with another request.",
                    );
                }
                let view = p.view(now());
                st.stats.replays += 1;
                return reply(StatusCode::OK, view);
            }
        }
        if o.get("currency").and_then(Value::as_str) != Some("XOF") {
            return invalid("currency", "currency must be XOF");
        }
        let Some(amount) = o.get("receive_amount").and_then(francs) else {
            return invalid(
                "receive_amount",
                "receive_amount must be a string of whole francs",
            );
        };
        let Some(mobile) = o
            .get("mobile")
            .and_then(Value::as_str)
            .filter(|m| is_mobile(m))
        else {
            return invalid(
                "mobile",
                "mobile must be an E.164 number, e.g. +2250700000789",
            );
        };
        if o.get("payment_reason")
            .and_then(Value::as_str)
            .is_some_and(|r| r.chars().count() > 40)
        {
            return invalid(
                "payment_reason",
                "payment_reason must be at most 40 characters",
            );
        }
        let at = now();
        let fee = (amount / 100).max(1);
        let digits: String = mobile.chars().filter(char::is_ascii_digit).collect();
        let failure =
            |code: &str, message: &str| Some(json!({"error_code": code, "error_message": message}));
        let (status, payout_error, resolves_at) = match digits.get(digits.len().saturating_sub(3)..)
        {
            Some("039") => (
                "failed",
                failure(
                    "recipient-limit-exceeded",
                    "The recipient cannot receive this much.",
                ),
                None,
            ),
            Some("049") => (
                "failed",
                failure("insufficient-funds", "The wallet's balance is too low."),
                None,
            ),
            Some("069") => (
                "failed",
                failure("blocked-account", "The recipient's account is blocked."),
                None,
            ),
            _ if st.balance < amount + fee => (
                "failed",
                failure("insufficient-funds", "The wallet's balance is too low."),
                None,
            ),
            Some("059") => (
                "processing",
                None,
                Some(at.plus(sim.inner.config.payout_delay)),
            ),
            _ => ("succeeded", None, None),
        };
        if status != "failed" {
            st.balance -= amount + fee;
        }
        let p = Payout {
            id: new_id("pt-"),
            request,
            status,
            resolves_at,
            payout_error,
            receive_amount: amount,
            fee,
            timestamp: at,
        };
        if let Some(k) = idem {
            st.idempotency.insert((key.to_owned(), k), p.id.clone());
        }
        let view = p.view(at);
        st.payouts.insert(p.id.clone(), p);
        st.stats.payouts += 1;
        (view, st.faults.take_hang())
    };
    if let Some(ms) = hang {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    reply(StatusCode::OK, answer)
}

pub(super) fn get(sim: &Sim, id: &str) -> Response {
    let mut st = sim.lock();
    st.stats.payout_reads += 1;
    match st.payouts.get(id) {
        Some(p) => reply(StatusCode::OK, p.view(now())),
        None => error(
            StatusCode::NOT_FOUND,
            "payout-not-found",
            "No payout has this id.",
        ),
    }
}

pub(super) fn search(sim: &Sim, query: &str) -> Response {
    let Some(r) = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "client_reference")
        .map(|(_, v)| v.into_owned())
    else {
        return invalid("client_reference", "client_reference is required");
    };
    let mut st = sim.lock();
    st.stats.payout_reads += 1;
    let at = now();
    let mut found: Vec<&Payout> = st
        .payouts
        .values()
        .filter(|p| p.request.get("client_reference").and_then(Value::as_str) == Some(&r))
        .collect();
    found.sort_by_key(|p| p.timestamp);
    let result: Vec<Value> = found.iter().map(|p| p.view(at)).collect();
    reply(StatusCode::OK, json!({ "result": result }))
}

/// `POST /v1/payout/{id}/reverse`: a succeeded payout's money comes back (200, no body).
pub(super) fn reverse(sim: &Sim, id: &str) -> Response {
    let at = now();
    let mut st = sim.lock();
    let Some(p) = st.payouts.get_mut(id) else {
        return error(
            StatusCode::NOT_FOUND,
            "payout-not-found",
            "No payout has this id.",
        );
    };
    if p.status_at(at) != "succeeded" {
        return error(
            StatusCode::CONFLICT,
            "payout-reversal-not-allowed",
            "Only a succeeded payout can be reversed, once.",
        );
    }
    p.status = "reversed";
    p.resolves_at = None;
    let back = p.receive_amount;
    st.balance += back;
    empty(StatusCode::OK)
}
