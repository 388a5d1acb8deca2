//! The simulated Wave's HTTP surface: authentication (and Wave's optional request signing),
//! checkout sessions and the balance in Wave's shapes and status codes, payouts (`payouts.rs`),
//! the payer's page (`page.rs`), then the `/_simulator/` control endpoints. Errors read
//! `{"code", "message"}` (with `details` naming the field for validation), as Wave's do.

use super::answers::{error, francs, invalid, is_mobile, launch_base, new_id};
use super::state::Session;
use super::{now, page, payouts, Sim};
use crate::sim_http::{empty, header, reply, take_one};
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use serde_json::{json, Value};

/// The single entry point.
pub async fn handle(
    Shared(sim): Shared<Sim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().trim_matches('/');
    let segs: Vec<&str> = path.split('/').collect();
    let query = uri.query().unwrap_or("");
    if segs.first() == Some(&"v1") {
        if let Some(r) = before_api(&sim, &headers, &body).await {
            return r;
        }
    }
    let key = header(&headers, "authorization")
        .and_then(|h| h.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    match (&method, segs.as_slice()) {
        (&Method::POST, ["v1", "checkout", "sessions"]) => {
            create_session(&sim, &headers, &body).await
        }
        (&Method::GET, ["v1", "checkout", "sessions"]) => by_transaction(&sim, &headers, query),
        (&Method::GET, ["v1", "checkout", "sessions", "search"]) => search(&sim, &headers, query),
        (&Method::GET, ["v1", "checkout", "sessions", id]) => get_session(&sim, &headers, id),
        (&Method::POST, ["v1", "checkout", "sessions", id, "expire"]) => expire(&sim, id),
        (&Method::POST, ["v1", "checkout", "sessions", id, "refund"]) => refund(&sim, id),
        (&Method::GET, ["v1", "balance"]) => {
            let balance = sim.lock().balance;
            reply(
                StatusCode::OK,
                json!({ "amount": balance.to_string(), "currency": "XOF" }),
            )
        }
        (&Method::POST, ["v1", "payout"]) => payouts::create(&sim, &key, &headers, &body).await,
        (&Method::GET, ["v1", "payout", id]) => payouts::get(&sim, id),
        (&Method::GET, ["v1", "payouts", "search"]) => payouts::search(&sim, query),
        (&Method::POST, ["v1", "payout", id, "reverse"]) => payouts::reverse(&sim, id),
        (&Method::GET, ["c", id]) => page::show(&sim, id),
        (&Method::POST, ["c", id]) => page::answer(&sim, &headers, id, &body),
        (&Method::GET, ["_simulator", "stats"]) => reply(StatusCode::OK, json!(sim.stats())),
        (&Method::PUT, ["_simulator", "faults"]) => match serde_json::from_slice(&body) {
            Ok(f) => {
                sim.set_faults(f);
                reply(StatusCode::OK, json!(sim.lock().faults))
            }
            Err(e) => invalid("faults", &format!("faults: {e}")),
        },
        (&Method::PUT, ["_simulator", "webhook"]) => match serde_json::from_slice(&body) {
            Ok(w) => {
                sim.lock().webhook = w;
                reply(StatusCode::OK, json!(sim.lock().webhook))
            }
            Err(e) => invalid("webhook", &format!("webhook: {e}")),
        },
        (&Method::PUT, ["_simulator", "request-signing"]) => {
            match serde_json::from_slice::<Value>(&body) {
                Ok(v) => {
                    let secret = v["secret"].as_str().map(str::to_owned);
                    sim.lock().request_signing_secret = secret;
                    empty(StatusCode::NO_CONTENT)
                }
                Err(e) => invalid("secret", &format!("request-signing: {e}")),
            }
        }
        (&Method::POST, ["_simulator", "sessions", id, action @ ("pay" | "fail")]) => {
            let mobile = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["mobile"].as_str().map(str::to_owned))
                .unwrap_or_else(|| "+2250700000789".to_owned());
            let mobile = if *action == "fail" {
                "+2250700000049".to_owned()
            } else {
                mobile
            };
            match page::attempt(&sim, &headers, id, &mobile) {
                Some(v) => reply(StatusCode::OK, v),
                None => error(
                    StatusCode::NOT_FOUND,
                    "checkout-session-not-open",
                    "no open session with this id",
                ),
            }
        }
        _ => error(StatusCode::NOT_FOUND, "not-found", "No such resource."),
    }
}

/// Latency, injected 500s, then the API key and (when configured) the request's signature.
async fn before_api(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Option<Response> {
    let (latency, fail) = {
        let mut st = sim.lock();
        (st.faults.latency_ms, take_one(&mut st.faults.fail_next))
    };
    crate::sim_http::latency(latency).await;
    if fail {
        return Some(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal-server-error",
            "An internal error occurred.",
        ));
    }
    let cfg = &sim.inner.config;
    let refusal = match header(headers, "authorization").map(|h| h.strip_prefix("Bearer ")) {
        None => Some((
            "missing-auth-header",
            "The Authorization header is missing.",
        )),
        Some(None) => Some((
            "invalid-auth",
            "The Authorization header must be `Bearer <API key>`.",
        )),
        Some(Some(key)) => {
            let known = if cfg.api_keys.is_empty() {
                key.trim().starts_with("wave_")
            } else {
                cfg.api_keys.iter().any(|k| k == key.trim())
            };
            (!known).then_some(("no-matching-api-key", "No API key matches the one given."))
        }
    };
    let signing = sim.lock().request_signing_secret.clone();
    let refusal = refusal.or_else(|| {
        let secret = signing.as_deref()?;
        let signed = header(headers, "wave-signature")
            .is_some_and(|h| crate::wave::signature::verify(h, secret, body, now().unix_seconds()));
        (!signed).then_some((
            "invalid-wave-signature",
            "The Wave-Signature header does not sign this request's body with the API key's signing secret.",
        ))
    });
    let (code, message) = refusal?;
    sim.lock().stats.unauthorized += 1;
    Some(error(StatusCode::UNAUTHORIZED, code, message))
}

fn is_url(s: &str) -> bool {
    // Wave requires https; the simulator also takes http, for servers on this machine.
    reqwest::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "https" | "http") && u.has_host())
}

async fn create_session(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Response {
    let Ok(Value::Object(o)) = serde_json::from_slice::<Value>(body) else {
        return invalid("body", "the body must be a JSON object");
    };
    let Some(amount) = o.get("amount").and_then(francs) else {
        return invalid(
            "amount",
            "amount must be a string of whole francs, e.g. \"1000\"",
        );
    };
    if o.get("currency").and_then(Value::as_str) != Some("XOF") {
        return invalid("currency", "currency must be XOF");
    }
    let url = |f: &str| o.get(f).and_then(Value::as_str).filter(|u| is_url(u));
    let (Some(success_url), Some(error_url)) = (url("success_url"), url("error_url")) else {
        let field = if url("success_url").is_none() {
            "success_url"
        } else {
            "error_url"
        };
        return invalid(field, &format!("{field} must be an https URL"));
    };
    let client_reference = o.get("client_reference").and_then(Value::as_str);
    if client_reference.is_some_and(|r| r.chars().count() > 255) {
        return invalid(
            "client_reference",
            "client_reference must be at most 255 characters",
        );
    }
    let restrict = o.get("restrict_payer_mobile").and_then(Value::as_str);
    if restrict.is_some_and(|m| !is_mobile(m)) {
        return invalid(
            "restrict_payer_mobile",
            "restrict_payer_mobile must be an E.164 number",
        );
    }
    let created = now();
    let s = Session {
        id: new_id("cos-"),
        amount: amount.to_string(),
        currency: "XOF".to_owned(),
        checkout_status: "open",
        payment_status: "processing",
        client_reference: client_reference.map(str::to_owned),
        success_url: success_url.to_owned(),
        error_url: error_url.to_owned(),
        restrict_payer_mobile: restrict.map(str::to_owned),
        transaction_id: None,
        last_payment_error: None,
        when_created: created,
        when_expires: created.plus(sim.inner.config.session_ttl),
        when_completed: None,
        when_refunded: None,
    };
    let view = s.view(
        created,
        &sim.inner.config.business_name,
        &launch_base(headers),
    );
    // Paid later by a task of its own, queued once the session is there to be paid.
    let pay_later = sim.inner.config.sessions_paid_after.map(|after| {
        let payer = s
            .restrict_payer_mobile
            .clone()
            .unwrap_or_else(|| "+2250700000789".to_owned());
        (s.id.clone(), payer, after)
    });
    let hang = {
        let mut st = sim.lock();
        st.sessions.insert(s.id.clone(), s);
        st.stats.sessions += 1;
        st.faults.take_hang()
    };
    if let Some((id, payer, after)) = pay_later {
        page::pay_later(sim, headers, &id, &payer, after);
    }
    if let Some(ms) = hang {
        tokio::time::sleep(std::time::Duration::from_millis(ms)).await;
    }
    reply(StatusCode::OK, view)
}

fn session_view(sim: &Sim, headers: &HeaderMap, s: &Session) -> Value {
    s.view(
        now(),
        &sim.inner.config.business_name,
        &launch_base(headers),
    )
}

fn get_session(sim: &Sim, headers: &HeaderMap, id: &str) -> Response {
    let mut st = sim.lock();
    st.stats.session_reads += 1;
    match st.sessions.get(id) {
        Some(s) => reply(StatusCode::OK, session_view(sim, headers, s)),
        None => error(
            StatusCode::NOT_FOUND,
            "checkout-session-not-found",
            "No checkout session has this id.",
        ),
    }
}

fn query_param(query: &str, name: &str) -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn by_transaction(sim: &Sim, headers: &HeaderMap, query: &str) -> Response {
    let Some(t) = query_param(query, "transaction_id") else {
        return invalid("transaction_id", "transaction_id is required");
    };
    let mut st = sim.lock();
    st.stats.session_reads += 1;
    match st
        .sessions
        .values()
        .find(|s| s.transaction_id.as_deref() == Some(&t))
    {
        Some(s) => reply(StatusCode::OK, session_view(sim, headers, s)),
        None => error(
            StatusCode::NOT_FOUND,
            "checkout-session-not-found",
            "No checkout session has this transaction.",
        ),
    }
}

fn search(sim: &Sim, headers: &HeaderMap, query: &str) -> Response {
    let Some(r) = query_param(query, "client_reference") else {
        return invalid("client_reference", "client_reference is required");
    };
    let mut st = sim.lock();
    st.stats.session_reads += 1;
    let mut found: Vec<&Session> = st
        .sessions
        .values()
        .filter(|s| s.client_reference.as_deref() == Some(&r))
        .collect();
    found.sort_by_key(|s| s.when_created);
    let result: Vec<Value> = found
        .iter()
        .map(|s| session_view(sim, headers, s))
        .collect();
    reply(StatusCode::OK, json!({ "result": result }))
}

/// `POST …/{id}/expire`: an open session stops taking payments (200, no body).
fn expire(sim: &Sim, id: &str) -> Response {
    let mut st = sim.lock();
    let Some(s) = st.sessions.get_mut(id) else {
        return error(
            StatusCode::NOT_FOUND,
            "checkout-session-not-found",
            "No checkout session has this id.",
        );
    };
    match s.checkout_status_at(now()) {
        "open" => {
            s.checkout_status = "expired";
            s.payment_status = "cancelled";
            empty(StatusCode::OK)
        }
        _ => error(
            StatusCode::CONFLICT,
            "checkout-session-not-open",
            "Only an open session can be expired.",
        ),
    }
}

/// `POST …/{id}/refund`: a paid session's money goes back to the payer (200, no body).
fn refund(sim: &Sim, id: &str) -> Response {
    let mut st = sim.lock();
    let Some(s) = st.sessions.get_mut(id) else {
        return error(
            StatusCode::NOT_FOUND,
            "checkout-session-not-found",
            "No checkout session has this id.",
        );
    };
    if s.payment_status != "succeeded" {
        return error(
            StatusCode::CONFLICT,
            "checkout-refund-not-allowed",
            "Only a paid session can be refunded, once.",
        );
    }
    let amount: i64 = s.amount.parse().unwrap_or(0);
    if st.balance < amount {
        return error(
            StatusCode::CONFLICT,
            "insufficient-funds",
            "The wallet's balance cannot cover this refund.",
        );
    }
    if let Some(s) = st.sessions.get_mut(id) {
        s.payment_status = "refunded";
        s.when_refunded = Some(now());
    }
    st.balance -= amount;
    empty(StatusCode::OK)
}
