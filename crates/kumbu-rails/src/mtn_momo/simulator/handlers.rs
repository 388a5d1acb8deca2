//! The simulated MTN's HTTP surface: MTN's paths, status codes and error bodies, then the
//! `/_simulator/` control endpoints. One handler matches the path itself, so that MTN's quirks
//! (a trailing slash on `token/`, `MSISDN` or `msisdn`) are accepted as MTN accepts them.
//!
//! Over 600 lines: one handler per MTN resource and its faults, in MTN's own shapes, matched by
//! one path router; state is `state.rs`, behaviour `behaviour.rs`, callbacks `callbacks.rs`.

use super::state::{from_hundredths, hundredths, State, Token, Txn, TxnKind, User};
use super::{callbacks, Sim};
use crate::mtn_momo::reasons::Reason;
use crate::mtn_momo::simulator::Behaviour;
use crate::mtn_momo::wire::{
    ApiKey, ApiUser, Party, CALLBACK_URL, REFERENCE_ID, SUBSCRIPTION_KEY, TARGET_ENVIRONMENT,
};
use crate::sim_http::{empty, header, reply};
use axum::body::Bytes;
use axum::extract::State as Shared;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::Response;
use base64::Engine as _;
use rand::Rng;
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// MTN's error body.
fn error(status: StatusCode, code: &str, message: &str) -> Response {
    reply(status, json!({ "code": code, "message": message }))
}

/// The currency MTN uses in an environment.
fn currency_of(env: &str) -> Option<&'static str> {
    Some(match env {
        "sandbox" => "EUR",
        "mtnivorycoast" | "mtnbenin" => "XOF",
        "mtncameroon" | "mtncongo" => "XAF",
        "mtnuganda" => "UGX",
        "mtnghana" => "GHS",
        "mtnzambia" => "ZMW",
        "mtnrwanda" => "RWF",
        "mtnguineaconakry" => "GNF",
        "mtnliberia" => "LRD",
        "mtnswaziland" => "SZL",
        "mtnsouthafrica" => "ZAR",
        "mtnsouthsudan" => "SSP",
        "mtnnigeria" => "NGN",
        _ => return None,
    })
}

fn is_uuid_v4(s: &str) -> bool {
    crate::mtn_momo::is_reference(s)
}

const PRODUCTS: [&str; 3] = ["collection", "disbursement", "remittance"];

/// The single entry point.
pub async fn handle(
    Shared(sim): Shared<Sim>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let latency = sim.lock().faults.latency_ms;
    crate::sim_http::latency(latency).await;
    let path = uri.path().trim_start_matches('/');
    let segs: Vec<&str> = path.split('/').collect();
    match (&method, segs.as_slice()) {
        (&Method::POST, ["v1_0", "apiuser"]) => create_user(&sim, &headers, &body),
        (&Method::GET, ["v1_0", "apiuser", id]) => get_user(&sim, &headers, id),
        (&Method::POST, ["v1_0", "apiuser", id, "apikey"]) => create_key(&sim, &headers, id),
        (&Method::POST, [product, "token"] | [product, "token", ""])
            if PRODUCTS.contains(product) =>
        {
            token(&sim, &headers, product)
        }
        (&Method::GET, [product, "v1_0", "account", "balance"]) if PRODUCTS.contains(product) => {
            balance(&sim, &headers, product)
        }
        (&Method::GET, [product, "v1_0", "accountholder", kind, id, "active"])
            if PRODUCTS.contains(product) =>
        {
            holder(&sim, &headers, product, kind, id)
        }
        (&Method::POST, ["collection", "v1_0", "requesttopay", id, "deliverynotification"]) => {
            notify(&sim, &headers, id)
        }
        (&Method::POST, [product, "v1_0", kind]) if TxnKind::parse(product, kind).is_some() => {
            create(&sim, &headers, product, kind, &body).await
        }
        (&Method::GET, [product, "v1_0", kind, id]) if TxnKind::parse(product, kind).is_some() => {
            status(&sim, &headers, product, kind, id)
        }
        (&Method::GET, ["_simulator", "stats"]) => reply(StatusCode::OK, json!(sim.stats())),
        (&Method::PUT, ["_simulator", "faults"]) => match serde_json::from_slice(&body) {
            Ok(f) => {
                sim.set_faults(f);
                reply(StatusCode::OK, json!(sim.lock().faults))
            }
            Err(e) => error(
                StatusCode::BAD_REQUEST,
                "BAD_REQUEST",
                &format!("faults: {e}"),
            ),
        },
        (&Method::POST, ["_simulator", "tokens", "expire"]) => {
            sim.expire_tokens();
            empty(StatusCode::NO_CONTENT)
        }
        (&Method::POST, ["_simulator", "transactions", id, action @ ("approve" | "decline")]) => {
            answer(&sim, id, *action == "approve")
        }
        (&Method::POST, ["_simulator", "transactions", id, "callback"]) => resend(&sim, id),
        _ => error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        ),
    }
}

/// Checks the subscription key, as MTN's API gateway does before anything else.
#[expect(
    clippy::result_large_err,
    reason = "the refusal is the answer itself, sent as it is"
)]
fn subscription(sim: &Sim, headers: &HeaderMap) -> Result<(), Response> {
    let keys = &sim.inner.config.subscription_keys;
    match header(headers, SUBSCRIPTION_KEY) {
        None => Err(reply(
            StatusCode::UNAUTHORIZED,
            json!({"statusCode": 401, "message": "Access denied due to missing subscription key. Make sure to include subscription key when making requests to an API."}),
        )),
        Some(k) if keys.is_empty() || keys.iter().any(|x| x == k) => Ok(()),
        Some(_) => Err(reply(
            StatusCode::UNAUTHORIZED,
            json!({"statusCode": 401, "message": "Access denied due to invalid subscription key. Make sure to provide a valid key for an active subscription."}),
        )),
    }
}

/// Checks a product call: subscription key, bearer token of this product, target environment.
/// Returns the API user and the environment.
#[expect(
    clippy::result_large_err,
    reason = "the refusal is the answer itself, sent as it is"
)]
fn authorize(sim: &Sim, headers: &HeaderMap, product: &str) -> Result<(String, String), Response> {
    subscription(sim, headers)?;
    let bearer = header(headers, "authorization")
        .and_then(|a| a.strip_prefix("Bearer "))
        .map(str::trim);
    let now = Instant::now();
    let mut st = sim.lock();
    let user = match bearer.and_then(|t| st.tokens.get(t)) {
        Some(Token {
            product: p,
            expires,
            user,
        }) if p == product && *expires > now => user.clone(),
        Some(_) | None => {
            st.stats.unauthorized += 1;
            return Err(reply(
                StatusCode::UNAUTHORIZED,
                json!({"statusCode": 401, "message": "Access denied due to invalid or expired access token."}),
            ));
        }
    };
    drop(st);
    let Some(env) = header(headers, TARGET_ENVIRONMENT) else {
        return Err(error(
            StatusCode::BAD_REQUEST,
            "NOT_ALLOWED_TARGET_ENVIRONMENT",
            "The X-Target-Environment header is missing.",
        ));
    };
    if currency_of(env).is_none() {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "NOT_ALLOWED_TARGET_ENVIRONMENT",
            "Access to target environment is forbidden.",
        ));
    }
    Ok((user, env.to_owned()))
}

/// A random 500 or a "next N" one, when faults say so.
fn injected_failure(st: &mut State) -> bool {
    let random = st.faults.error_rate > 0.0
        && rand::thread_rng().gen_bool(st.faults.error_rate.clamp(0.0, 1.0));
    State::take(&mut st.faults.fail_next) || random
}

fn create_user(sim: &Sim, headers: &HeaderMap, body: &[u8]) -> Response {
    if let Err(r) = subscription(sim, headers) {
        return r;
    }
    let Some(id) = header(headers, REFERENCE_ID).filter(|r| is_uuid_v4(r)) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "X-Reference-Id must be a UUID version 4.",
        );
    };
    let host = serde_json::from_slice::<Value>(body).ok().and_then(|v| {
        v.get("providerCallbackHost")
            .and_then(Value::as_str)
            .map(str::to_owned)
    });
    let Some(host) = host.filter(|h| !h.is_empty()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "providerCallbackHost is required.",
        );
    };
    let mut st = sim.lock();
    if st.users.contains_key(id) {
        return error(
            StatusCode::CONFLICT,
            "RESOURCE_ALREADY_EXIST",
            "Duplicated reference id. Creation of resource failed.",
        );
    }
    st.users.insert(
        id.to_owned(),
        User {
            callback_host: host,
            api_key: None,
        },
    );
    empty(StatusCode::CREATED)
}

fn get_user(sim: &Sim, headers: &HeaderMap, id: &str) -> Response {
    if let Err(r) = subscription(sim, headers) {
        return r;
    }
    match sim.lock().users.get(id) {
        Some(u) => reply(
            StatusCode::OK,
            json!(ApiUser {
                provider_callback_host: u.callback_host.clone(),
                target_environment: "sandbox".into()
            }),
        ),
        None => error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        ),
    }
}

fn create_key(sim: &Sim, headers: &HeaderMap, id: &str) -> Response {
    if let Err(r) = subscription(sim, headers) {
        return r;
    }
    let mut st = sim.lock();
    match st.users.get_mut(id) {
        Some(u) => {
            let key = uuid::Uuid::new_v4().simple().to_string();
            u.api_key = Some(key.clone());
            reply(StatusCode::CREATED, json!(ApiKey { api_key: key }))
        }
        None => error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        ),
    }
}

fn token(sim: &Sim, headers: &HeaderMap, product: &str) -> Response {
    if let Err(r) = subscription(sim, headers) {
        return r;
    }
    let basic = header(headers, "authorization")
        .and_then(|a| a.strip_prefix("Basic "))
        .and_then(|b| {
            base64::engine::general_purpose::STANDARD
                .decode(b.trim())
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok());
    let login_failed = || reply(StatusCode::UNAUTHORIZED, json!({"error": "login_failed"}));
    let Some((user, key)) = basic.as_deref().and_then(|b| b.split_once(':')) else {
        return login_failed();
    };
    let mut st = sim.lock();
    match st.users.get(user) {
        Some(User {
            api_key: Some(k), ..
        }) if k == key => {}
        Some(_) | None => return login_failed(),
    }
    let ttl = sim.inner.config.token_ttl;
    let value = format!("sim.{}", uuid::Uuid::new_v4().simple());
    st.tokens.insert(
        value.clone(),
        Token {
            product: product.to_owned(),
            expires: Instant::now() + ttl,
            user: user.to_owned(),
        },
    );
    st.stats.tokens += 1;
    reply(
        StatusCode::OK,
        json!({"access_token": value, "token_type": "access_token", "expires_in": ttl.as_secs()}),
    )
}

fn balance(sim: &Sim, headers: &HeaderMap, product: &str) -> Response {
    let (_, env) = match authorize(sim, headers, product) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let currency = currency_of(&env).unwrap_or("EUR");
    let st = sim.lock();
    let amount = match product {
        "collection" => st.collected.get(currency).copied().unwrap_or(0),
        _ => {
            sim.inner.config.opening_balance * 100 - st.paid_out.get(currency).copied().unwrap_or(0)
        }
    };
    reply(
        StatusCode::OK,
        json!({"availableBalance": from_hundredths(amount), "currency": currency}),
    )
}

fn holder(sim: &Sim, headers: &HeaderMap, product: &str, kind: &str, id: &str) -> Response {
    if let Err(r) = authorize(sim, headers, product) {
        return r;
    }
    if !["msisdn", "email", "party_code"].contains(&kind.to_ascii_lowercase().as_str()) {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "accountHolderIdType must be msisdn, email or party_code.",
        );
    }
    let inactive = id == "46733123455" || id.ends_with("029") || id.starts_with("notfound");
    reply(StatusCode::OK, json!({ "result": !inactive }))
}

fn notify(sim: &Sim, headers: &HeaderMap, id: &str) -> Response {
    if let Err(r) = authorize(sim, headers, "collection") {
        return r;
    }
    if sim
        .lock()
        .txns
        .contains_key(&(TxnKind::RequestToPay, id.to_owned()))
    {
        empty(StatusCode::OK)
    } else {
        error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        )
    }
}

/// A text field that may come as a JSON string or number.
fn text(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
    }
}

fn party(v: &Value, key: &str) -> Option<Party> {
    let p = v.get(key)?;
    Some(Party {
        party_id_type: text(p, "partyIdType")?,
        party_id: text(p, "partyId")?,
    })
}

async fn create(
    sim: &Sim,
    headers: &HeaderMap,
    product: &str,
    kind: &str,
    body: &[u8],
) -> Response {
    let Some(kind) = TxnKind::parse(product, kind) else {
        return error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        );
    };
    let (user, env) = match authorize(sim, headers, product) {
        Ok(a) => a,
        Err(r) => return r,
    };
    let Some(reference) = header(headers, REFERENCE_ID)
        .filter(|r| is_uuid_v4(r))
        .map(str::to_owned)
    else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "X-Reference-Id must be a UUID version 4.",
        );
    };
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "The body is not JSON.",
        );
    };
    let Some(amount) = text(&v, "amount").filter(|a| hundredths(a).is_some()) else {
        return error(
            StatusCode::BAD_REQUEST,
            "BAD_REQUEST",
            "amount must be a positive decimal with at most two places.",
        );
    };
    let currency = text(&v, "currency").unwrap_or_default();
    if currency_of(&env) != Some(currency.as_str()) {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INVALID_CURRENCY",
            "Currency not supported.",
        );
    }
    let callback_url = header(headers, CALLBACK_URL).map(str::to_owned);
    let hang = match register(
        sim,
        kind,
        product,
        &user,
        &reference,
        amount,
        currency,
        callback_url,
        &v,
    ) {
        Ok(h) => h,
        Err(r) => return r,
    };
    callbacks::schedule(sim, kind, &reference);
    if let Some(d) = hang {
        tokio::time::sleep(d).await;
    }
    empty(StatusCode::ACCEPTED)
}

/// Registers a transaction (under the lock); `Some(d)` when its answer must hang for `d`.
#[expect(
    clippy::too_many_arguments,
    reason = "the parts of one request, read by `create`"
)]
#[expect(
    clippy::result_large_err,
    reason = "the refusal is the answer itself, sent as it is"
)]
fn register(
    sim: &Sim,
    kind: TxnKind,
    product: &str,
    user: &str,
    reference: &str,
    amount: String,
    currency: String,
    callback_url: Option<String>,
    v: &Value,
) -> Result<Option<Duration>, Response> {
    let mut st = sim.lock();
    st.stats.posts += 1;
    if injected_failure(&mut st) {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_PROCESSING_ERROR",
            "An internal error occurred while processing.",
        ));
    }
    if st.txns.contains_key(&(kind, reference.to_owned())) {
        st.stats.duplicates += 1;
        return Err(error(
            StatusCode::CONFLICT,
            "RESOURCE_ALREADY_EXIST",
            "Duplicated reference id. Creation of resource failed.",
        ));
    }
    let registered_host = st
        .users
        .get(user)
        .map(|u| u.callback_host.clone())
        .unwrap_or_default();
    if let Some(cb) = &callback_url {
        let host = reqwest::Url::parse(cb)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        if host.as_deref() != Some(registered_host.as_str()) {
            return Err(error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "INVALID_CALLBACK_URL_HOST",
                "Callback URL with different host than the registered providerCallbackHost.",
            ));
        }
    }
    let subject = match kind {
        TxnKind::RequestToPay => party(v, "payer"),
        TxnKind::Transfer => party(v, "payee"),
        // mtn-momo-client 2.0.1 sends a deposit's party as `payer`; MTN documents `payee`.
        TxnKind::Deposit => party(v, "payee").or_else(|| party(v, "payer")),
        TxnKind::Refund => text(v, "referenceIdToRefund").and_then(|r| {
            st.txns
                .get(&(TxnKind::RequestToPay, r))
                .map(|t| t.party.clone())
        }),
    };
    let Some(subject) = subject else {
        let what = match kind {
            TxnKind::RequestToPay => "payer.partyIdType and payer.partyId are required.",
            TxnKind::Transfer | TxnKind::Deposit => {
                "payee.partyIdType and payee.partyId are required."
            }
            TxnKind::Refund => "referenceIdToRefund must name a request to pay.",
        };
        return Err(error(StatusCode::BAD_REQUEST, "BAD_REQUEST", what));
    };
    let mut behaviour = State::behaviour(kind, &subject);
    if kind == TxnKind::Refund {
        // The sandbox's refund trigger, as in Kumbu's own sandbox: an amount ending in 13 fails.
        if hundredths(&amount).is_some_and(|h| (h / 100) % 100 == 13) {
            behaviour = Behaviour::Fail {
                reason: Reason::InternalProcessingError,
                at_once: false,
            };
        }
    }
    if let Behaviour::Unavailable(reason) = &behaviour {
        return Err(error(
            StatusCode::INTERNAL_SERVER_ERROR,
            reason.as_str(),
            "Service unavailable.",
        ));
    }
    let txn = Txn {
        product: product.to_owned(),
        kind,
        amount,
        currency,
        external_id: text(v, "externalId").unwrap_or_default(),
        party: subject,
        payer_message: text(v, "payerMessage").unwrap_or_default(),
        payee_note: text(v, "payeeNote").unwrap_or_default(),
        behaviour,
        created: Instant::now(),
        answered: None,
        callback_url,
        financial_id: format!(
            "{}",
            rand::thread_rng().gen_range(1_000_000_000u64..9_999_999_999)
        ),
        booked: false,
    };
    st.txns.insert((kind, reference.to_owned()), txn);
    st.stats.registered += 1;
    let hang = State::take(&mut st.faults.hang_next)
        || (st.faults.hang_rate > 0.0
            && rand::thread_rng().gen_bool(st.faults.hang_rate.clamp(0.0, 1.0)));
    let hang_for = Duration::from_millis(if st.faults.hang_ms == 0 {
        30_000
    } else {
        st.faults.hang_ms
    });
    Ok(hang.then_some(hang_for))
}

fn status(sim: &Sim, headers: &HeaderMap, product: &str, kind: &str, id: &str) -> Response {
    let Some(kind) = TxnKind::parse(product, kind) else {
        return error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        );
    };
    if let Err(r) = authorize(sim, headers, product) {
        return r;
    }
    let mut st = sim.lock();
    st.stats.status_queries += 1;
    if injected_failure(&mut st) {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "INTERNAL_PROCESSING_ERROR",
            "An internal error occurred while processing.",
        );
    }
    // A transfer made through remittance is not found under disbursement, and the reverse.
    let same_product = st
        .txns
        .get(&(kind, id.to_owned()))
        .is_some_and(|t| t.product == product);
    match st.current(kind, id, sim.timings()).filter(|_| same_product) {
        Some((_, _, view)) => reply(StatusCode::OK, view),
        None => error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        ),
    }
}

/// Finds a transaction by reference, whatever its kind.
fn find(st: &State, id: &str) -> Option<TxnKind> {
    [
        TxnKind::RequestToPay,
        TxnKind::Transfer,
        TxnKind::Deposit,
        TxnKind::Refund,
    ]
    .into_iter()
    .find(|k| st.txns.contains_key(&(*k, id.to_owned())))
}

fn answer(sim: &Sim, id: &str, approve: bool) -> Response {
    let mut st = sim.lock();
    let Some(kind) = find(&st, id) else {
        return error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        );
    };
    let Some(txn) = st.txns.get_mut(&(kind, id.to_owned())) else {
        return error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        );
    };
    if txn.behaviour != Behaviour::Manual || txn.answered.is_some() {
        return error(
            StatusCode::CONFLICT,
            "NOT_ALLOWED",
            "This transaction is not waiting for a person.",
        );
    }
    txn.answered = Some((approve, Instant::now()));
    let view = st
        .current(kind, id, sim.timings())
        .map(|(_, _, v)| v)
        .unwrap_or(Value::Null);
    drop(st);
    callbacks::send_now(sim, kind, id);
    reply(StatusCode::OK, view)
}

fn resend(sim: &Sim, id: &str) -> Response {
    let Some(kind) = find(&sim.lock(), id) else {
        return error(
            StatusCode::NOT_FOUND,
            "RESOURCE_NOT_FOUND",
            "Requested resource was not found.",
        );
    };
    callbacks::send_now(sim, kind, id);
    empty(StatusCode::ACCEPTED)
}
