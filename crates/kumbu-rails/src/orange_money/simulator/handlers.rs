//! The simulated Orange's HTTP surface: the OAuth token, `webpayment` and `transactionstatus` in
//! Orange's shapes and status codes, the payer's page (`page.rs`), then the `/_simulator/`
//! control endpoints. One handler matches the path itself, so that any country segment
//! (`dev`, `ci`, `cm`, …) and a trailing slash are accepted.

use super::state::{State, Status, WebPayment};
use super::{page, push, Sim};
use crate::sim_http::{empty, header, random, reply, take_one};
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use base64::Engine as _;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// An error of Orange's API gateway (credentials, outages): `code`, `message`, `description`.
fn gateway_error(status: StatusCode, code: u32, message: &str, description: &str) -> Response {
    reply(
        status,
        json!({ "code": code, "message": message, "description": description }),
    )
}

/// A refusal by Web Payment itself, in the shape of its answers (`status`, `message`), naming
/// the field in `description`.
fn refusal(status: StatusCode, message: &str, field: &str) -> Response {
    reply(
        status,
        json!({ "status": status.as_u16(), "message": message, "description": field }),
    )
}

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
    let api = matches!(
        segs.as_slice(),
        ["oauth", "v3", "token"]
            | ["token"]
            | ["orange-money-webpay", _, "v1", _]
            | ["omcoreapis", _, "mp", ..]
    );
    if api {
        if let Some(r) = faults_before(&sim).await {
            return r;
        }
    }
    match (&method, segs.as_slice()) {
        (&Method::POST, ["oauth", "v3", "token"] | ["token"]) => token(&sim, &headers, &body),
        (&Method::POST, ["omcoreapis", "1.0.2", "mp", "init"]) => push::init(&sim, &headers),
        (&Method::POST, ["omcoreapis", "1.0.2", "mp", "pay"]) => push::pay(&sim, &headers, &body),
        (&Method::GET, ["omcoreapis", "1.0.2", "mp", "paymentstatus", pay_token]) => {
            push::status(&sim, &headers, pay_token)
        }
        (&Method::POST, ["_simulator", "mp", pay_token, action @ ("approve" | "decline")]) => {
            match push::answer(&sim, pay_token, *action == "approve") {
                Some(status) => reply(StatusCode::OK, json!({ "status": status })),
                None => refusal(
                    StatusCode::NOT_FOUND,
                    "no such prompt waiting for a person",
                    "payToken",
                ),
            }
        }
        (&Method::POST, ["orange-money-webpay", _, "v1", "webpayment"]) => {
            webpayment(&sim, &headers, &body).await
        }
        (&Method::POST, ["orange-money-webpay", _, "v1", "transactionstatus"]) => {
            status(&sim, &headers, &body)
        }
        (&Method::GET, ["webpay", pay_token]) => page::show(&sim, pay_token, uri.query()),
        (&Method::POST, ["webpay", pay_token]) => page::answer(&sim, pay_token, &body),
        (&Method::GET, ["_simulator", "stats"]) => reply(StatusCode::OK, json!(sim.stats())),
        (&Method::PUT, ["_simulator", "faults"]) => match serde_json::from_slice(&body) {
            Ok(f) => {
                sim.set_faults(f);
                reply(StatusCode::OK, json!(sim.lock().faults))
            }
            Err(e) => refusal(StatusCode::BAD_REQUEST, &format!("faults: {e}"), "faults"),
        },
        (&Method::POST, ["_simulator", "tokens", "expire"]) => {
            sim.expire_tokens();
            empty(StatusCode::NO_CONTENT)
        }
        (&Method::POST, ["_simulator", "webpayments", pay_token, action @ ("pay" | "decline")]) => {
            let phone = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|v| v["phone"].as_str().map(str::to_owned));
            match page::settle(&sim, pay_token, *action == "pay", phone.as_deref()) {
                Some(status) => reply(StatusCode::OK, json!({ "status": status.as_str() })),
                None => refusal(StatusCode::NOT_FOUND, "no such open payment", "pay_token"),
            }
        }
        _ => gateway_error(
            StatusCode::NOT_FOUND,
            60,
            "Resource not found",
            "The requested URI or the requested resource does not exist.",
        ),
    }
}

/// Latency and injected 500s, before any API call.
async fn faults_before(sim: &Sim) -> Option<Response> {
    let (latency, fail) = {
        let mut st = sim.lock();
        (st.faults.latency_ms, take_one(&mut st.faults.fail_next))
    };
    crate::sim_http::latency(latency).await;
    fail.then(|| {
        gateway_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            1,
            "Internal error",
            "The service encountered an unexpected error.",
        )
    })
}

/// `POST /oauth/v3/token`: `Authorization: Basic base64(client_id:client_secret)`, form
/// `grant_type=client_credentials`.
pub(super) fn token(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Response {
    let oauth = |status: StatusCode, error: &str, description: &str| {
        reply(
            status,
            json!({ "error": error, "error_description": description }),
        )
    };
    let client = header(headers, "authorization")
        .and_then(|h| h.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| {
            let (id, secret) = s.split_once(':')?;
            Some((id.to_owned(), secret.to_owned()))
        });
    let clients = &sim.inner.config.clients;
    let Some((id, secret)) = client.filter(|(id, _)| !id.is_empty()) else {
        sim.lock().stats.unauthorized += 1;
        return oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The requested service needs credentials, but none were provided.",
        );
    };
    if !clients.is_empty() && !clients.iter().any(|(i, s)| *i == id && *s == secret) {
        sim.lock().stats.unauthorized += 1;
        return oauth(
            StatusCode::UNAUTHORIZED,
            "invalid_client",
            "The requested service needs credentials, but the ones provided were invalid.",
        );
    }
    let grant = form_urlencoded::parse(body)
        .find(|(k, _)| k == "grant_type")
        .map(|(_, v)| v.into_owned());
    match grant.as_deref() {
        Some("client_credentials") => {}
        Some(_) => {
            return oauth(
                StatusCode::BAD_REQUEST,
                "unsupported_grant_type",
                "grant_type must be client_credentials",
            )
        }
        None => {
            return oauth(
                StatusCode::BAD_REQUEST,
                "invalid_request",
                "grant_type is missing",
            )
        }
    }
    let ttl = sim.inner.config.token_ttl;
    let access = random(32);
    let mut st = sim.lock();
    st.tokens.insert(access.clone(), Instant::now() + ttl);
    st.stats.tokens += 1;
    reply(
        StatusCode::OK,
        json!({ "token_type": "Bearer", "access_token": access, "expires_in": ttl.as_secs() }),
    )
}

/// Orange's 401 when an API call's Bearer token is missing, unknown or expired.
fn unauthorized(st: &mut State, headers: &HeaderMap) -> Option<Response> {
    let token = header(headers, "authorization").and_then(|h| h.strip_prefix("Bearer "));
    let refuse = |st: &mut State, code, message: &str, description: &str| {
        st.stats.unauthorized += 1;
        Some(gateway_error(
            StatusCode::UNAUTHORIZED,
            code,
            message,
            description,
        ))
    };
    match token.map(|t| st.tokens.get(t.trim()).copied()) {
        None => refuse(
            st,
            41,
            "Invalid credentials",
            "The requested service needs credentials, but none were provided.",
        ),
        Some(None) => refuse(
            st,
            41,
            "Invalid credentials",
            "The requested service needs credentials, but the ones provided were invalid.",
        ),
        Some(Some(until)) if until <= Instant::now() => refuse(
            st,
            42,
            "Expired credentials",
            "The requested service needs credentials, but the ones provided were out-of-date.",
        ),
        Some(Some(_)) => None,
    }
}

/// A JSON body, whatever the `Content-Type` says (`o-money` posts JSON labelled as a form).
fn json_body(body: &[u8]) -> Option<serde_json::Map<String, Value>> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(o)) => Some(o),
        Ok(_) | Err(_) => None,
    }
}

fn text<'a>(o: &'a serde_json::Map<String, Value>, field: &str) -> Option<&'a str> {
    o.get(field)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// A positive whole amount, as a JSON number or a string of digits.
fn amount(o: &serde_json::Map<String, Value>) -> Option<i64> {
    match o.get("amount")? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
    }
    .filter(|a| *a > 0)
}

fn is_url(s: &str) -> bool {
    reqwest::Url::parse(s).is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.has_host())
}

/// `POST …/webpayment`: registers a payment and answers 201 with exactly the five fields
/// Orange documents (a client may build a record from them and nothing else).
async fn webpayment(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Response {
    let host = header(headers, "host").unwrap_or("127.0.0.1").to_owned();
    let (answer, hang) = {
        let mut st = sim.lock();
        if let Some(r) = unauthorized(&mut st, headers) {
            return r;
        }
        let registered = register(sim, &mut st, body, &host);
        let hang = registered.is_ok() && take_one(&mut st.faults.hang_next);
        let hang_ms = if st.faults.hang_ms > 0 {
            st.faults.hang_ms
        } else {
            30_000
        };
        match registered {
            Ok(answer) => (answer, hang.then_some(hang_ms)),
            Err(r) => {
                st.stats.refused += 1;
                return r.answer();
            }
        }
    };
    if let Some(after) = sim.inner.config.pages_paid_after {
        if let Some(pay_token) = answer["pay_token"].as_str() {
            page::pay_later(sim, pay_token, after);
        }
    }
    if let Some(ms) = hang {
        tokio::time::sleep(Duration::from_millis(ms)).await;
    }
    reply(StatusCode::CREATED, answer)
}

/// Why a payment page was not made: the status, the message, the field.
struct Refused(StatusCode, String, &'static str);

impl Refused {
    fn answer(self) -> Response {
        refusal(self.0, &self.1, self.2)
    }
}

fn register(sim: &Sim, st: &mut State, body: &[u8], host: &str) -> Result<Value, Refused> {
    let bad = |message: &str, field: &'static str| {
        Err(Refused(StatusCode::BAD_REQUEST, message.to_owned(), field))
    };
    let Some(o) = json_body(body) else {
        return bad("the body must be a JSON object", "body");
    };
    let Some(merchant_key) = text(&o, "merchant_key") else {
        return bad("merchant_key is required", "merchant_key");
    };
    let keys = &sim.inner.config.merchant_keys;
    if !keys.is_empty() && !keys.iter().any(|k| k == merchant_key) {
        return Err(Refused(
            StatusCode::UNAUTHORIZED,
            "unknown merchant_key".to_owned(),
            "merchant_key",
        ));
    }
    let currency = match text(&o, "currency") {
        Some(c) if c.len() == 3 && c.bytes().all(|b| b.is_ascii_uppercase()) => c,
        Some(_) | None => {
            return bad(
                "currency must be OUV, XOF, XAF or another ISO code",
                "currency",
            )
        }
    };
    let order_id = match text(&o, "order_id") {
        Some(id) if id.chars().count() <= 30 => id,
        Some(_) => return bad("order_id must be at most 30 characters", "order_id"),
        None => return bad("order_id is required", "order_id"),
    };
    let Some(amount) = amount(&o) else {
        return bad("amount must be a positive whole number", "amount");
    };
    let mut urls = Vec::with_capacity(3);
    for field in ["return_url", "cancel_url", "notif_url"] {
        match text(&o, field) {
            Some(u) if is_url(u) => urls.push(u.to_owned()),
            Some(_) | None => return bad(&format!("{field} must be an http(s) URL"), field),
        }
    }
    let reference = text(&o, "reference").unwrap_or_default();
    if reference.chars().count() > 30 {
        return bad("reference must be at most 30 characters", "reference");
    }
    let order = (merchant_key.to_owned(), order_id.to_owned());
    if st.orders.contains_key(&order) {
        return bad(
            "order_id was already used with this merchant_key",
            "order_id",
        );
    }
    let pay_token = format!("v1{}", random(40).to_lowercase());
    let notif_token = random(32).to_lowercase();
    let [return_url, cancel_url, notif_url]: [String; 3] = urls
        .try_into()
        .unwrap_or_else(|_| unreachable!("three URLs checked"));
    st.payments.insert(
        pay_token.clone(),
        WebPayment {
            order_id: order_id.to_owned(),
            amount,
            currency: currency.to_owned(),
            return_url,
            cancel_url,
            notif_url,
            lang: text(&o, "lang").unwrap_or("fr").to_owned(),
            reference: reference.to_owned(),
            notif_token: notif_token.clone(),
            status: Status::Initiated,
            txnid: None,
            payer: None,
            created: Instant::now(),
        },
    );
    st.orders.insert(order, pay_token.clone());
    st.stats.webpayments += 1;
    Ok(json!({
        "status": 201,
        "message": "OK",
        "pay_token": pay_token,
        "payment_url": format!("http://{host}/webpay/{pay_token}"),
        "notif_token": notif_token,
    }))
}

/// `POST …/transactionstatus` `{order_id, amount, pay_token}`: `{status, order_id, txnid}`.
fn status(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Response {
    let mut st = sim.lock();
    if let Some(r) = unauthorized(&mut st, headers) {
        return r;
    }
    let Some(o) = json_body(body) else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "the body must be a JSON object",
            "body",
        );
    };
    let (Some(order_id), Some(pay_token), Some(amount)) =
        (text(&o, "order_id"), text(&o, "pay_token"), amount(&o))
    else {
        return refusal(
            StatusCode::BAD_REQUEST,
            "order_id, amount and pay_token are required",
            "order_id",
        );
    };
    let window = sim.inner.config.payment_window;
    let Some(p) = st.payments.get(pay_token) else {
        return refusal(StatusCode::NOT_FOUND, "transaction not found", "pay_token");
    };
    if p.order_id != order_id || p.amount != amount {
        return refusal(
            StatusCode::BAD_REQUEST,
            "order_id and amount do not match this pay_token",
            "order_id",
        );
    }
    let answer = json!({
        "status": p.status_at(Instant::now(), window).as_str(),
        "order_id": p.order_id,
        "txnid": p.txnid,
    });
    st.stats.status_queries += 1;
    reply(StatusCode::CREATED, answer)
}
