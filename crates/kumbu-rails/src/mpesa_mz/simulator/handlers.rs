//! The four operations as M-Pesa answers them (`output_…` bodies, every `INS-…` code with its
//! HTTP status), and the control endpoints under `/_simulator/`.

use super::state::{Faults, Kind, TxStatus, Txn};
use super::Sim;
use crate::mpesa_mz::codes::{description, http_status};
use crate::mpesa_mz::Op;
use crate::sim_http::{empty, header, latency, random, reply, take_one};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use kumbu_core::Currency;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

/// An answer: `code`'s HTTP status and M-Pesa's body.
fn answer(code: &str, reference: &str, txn: Option<&Txn>, extra: Option<(&str, &str)>) -> Response {
    let mut body = json!({
        "output_ResponseCode": code,
        "output_ResponseDesc": description(code),
        "output_TransactionID": txn.map_or("", |t| t.transaction_id.as_str()),
        "output_ConversationID": txn.map_or_else(|| random(32), |t| t.conversation_id.clone()),
        "output_ThirdPartyReference": reference,
    });
    if let Some((k, v)) = extra {
        body[k] = Value::from(v);
    }
    reply(
        StatusCode::from_u16(http_status(code)).unwrap_or(StatusCode::BAD_REQUEST),
        body,
    )
}

/// A request's fields, as strings (numbers are read as their text).
struct Fields(HashMap<String, String>);

impl Fields {
    fn json(body: &[u8]) -> Option<Self> {
        let Value::Object(map) = serde_json::from_slice(body).ok()? else {
            return None;
        };
        Some(Self(
            map.into_iter()
                .filter_map(|(k, v)| match v {
                    Value::String(s) => Some((k, s)),
                    Value::Number(n) => Some((k, n.to_string())),
                    Value::Null | Value::Bool(_) | Value::Array(_) | Value::Object(_) => None,
                })
                .collect(),
        ))
    }

    fn query(q: Option<&str>) -> Self {
        Self(
            form_urlencoded::parse(q.unwrap_or_default().as_bytes())
                .into_owned()
                .collect(),
        )
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// The `names` fields, or the code refusing the request (`INS-20`: not all given).
    fn require<const N: usize>(&self, names: [&str; N]) -> Result<[&str; N], &'static str> {
        let mut out = [""; N];
        for (slot, name) in out.iter_mut().zip(names) {
            *slot = self.get(name).ok_or("INS-20")?;
        }
        Ok(out)
    }
}

/// Whether `m` is a Vodacom number (`258` optional, then `84` or `85` and seven digits).
fn vodacom(m: &str) -> bool {
    let national = m.strip_prefix("258").unwrap_or(m);
    national.len() == 9
        && (national.starts_with("84") || national.starts_with("85"))
        && national.bytes().all(|b| b.is_ascii_digit())
}

/// An amount in centavos, if M-Pesa would take it.
fn amount(text: &str) -> Option<i64> {
    Currency::Mzn.parse_decimal(text).ok().filter(|a| *a > 0)
}

impl Sim {
    /// Counting, latency, the Bearer, and the fail-next fault, common to every operation: the
    /// request's third-party reference, or the answer refusing it.
    async fn admit(
        &self,
        op: Op,
        headers: &HeaderMap,
        fields: &Fields,
    ) -> Result<String, Response> {
        let reference = fields
            .get("input_ThirdPartyReference")
            .unwrap_or_default()
            .to_owned();
        let ms = {
            let mut st = self.lock();
            match op {
                Op::C2b => st.stats.c2b_requests += 1,
                Op::B2c => st.stats.b2c_requests += 1,
                Op::Query => st.stats.queries += 1,
                Op::Reversal => {}
            }
            st.faults.latency_ms
        };
        latency(ms).await;
        let key = header(headers, "authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .and_then(|b| self.inner.config.keys.open_bearer(b));
        let accepted = key.is_some_and(|k| {
            !k.is_empty()
                && (self.inner.config.api_keys.is_empty()
                    || self.inner.config.api_keys.contains(&k))
        });
        let mut st = self.lock();
        if !accepted {
            st.stats.auth_failures += 1;
            return Err(answer("INS-2", &reference, None, None));
        }
        if take_one(&mut st.faults.fail_next) {
            return Err(answer("INS-1", &reference, None, None));
        }
        if let Some(code) = st.faults.code_next.take() {
            return Err(answer(&code, &reference, None, None));
        }
        Ok(reference)
    }

    /// Whether `code` is a short code this simulator serves.
    fn short_code(&self, code: &str) -> bool {
        let codes = &self.inner.config.service_provider_codes;
        (5..=6).contains(&code.len())
            && code.bytes().all(|b| b.is_ascii_digit())
            && (codes.is_empty() || codes.iter().any(|c| c == code))
    }

    /// Checks a C2B or B2C body: its fields, or the code refusing it.
    fn transfer<'f>(&self, f: &'f Fields) -> Result<(&'f str, &'f str, i64), &'static str> {
        let [transaction, msisdn, amount_text, reference, code] = f.require([
            "input_TransactionReference",
            "input_CustomerMSISDN",
            "input_Amount",
            "input_ThirdPartyReference",
            "input_ServiceProviderCode",
        ])?;
        if transaction.chars().count() > 20 {
            return Err("INS-17");
        }
        if !self.short_code(code) {
            return Err("INS-13");
        }
        let minor = amount(amount_text).ok_or("INS-15")?;
        if !vodacom(msisdn) {
            return Err("INS-2051");
        }
        Ok((reference, msisdn, minor))
    }

    /// A new transaction.
    fn txn(kind: Kind, reference: &str, msisdn: &str, amount: i64) -> Txn {
        Txn {
            kind,
            reference: reference.to_owned(),
            transaction_id: random(10).to_uppercase(),
            conversation_id: random(32).to_lowercase(),
            msisdn: msisdn.to_owned(),
            amount,
            status: TxStatus::Pending,
            code: "INS-0",
            reversed: 0,
            decided: Arc::new(Notify::new()),
        }
    }
}

/// What the payer of `msisdn` does, by its last three digits (the sandbox's suffixes): `None`
/// never answers (…059, and …009 until told on `/_simulator/`); otherwise after how many prompt
/// times, and with what.
fn payer(msisdn: &str) -> Option<(u32, TxStatus, &'static str)> {
    match &msisdn[msisdn.len().saturating_sub(3)..] {
        "009" | "059" => None,
        "039" => Some((1, TxStatus::Cancelled, "INS-5")),
        "049" => Some((1, TxStatus::Failed, "INS-2006")),
        "069" => Some((1, TxStatus::Failed, "INS-6")),
        "149" => Some((3, TxStatus::Completed, "INS-0")),
        _ => Some((1, TxStatus::Completed, "INS-0")),
    }
}

/// `POST /ipg/v1x/c2bPayment/singleStage/`: prompts the payer and answers when they have (or
/// when the platform gives up: 408 `INS-9`).
pub async fn c2b(State(sim): State<Sim>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let fields = Fields::json(&body).unwrap_or(Fields(HashMap::new()));
    let reference = match sim.admit(Op::C2b, &headers, &fields).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let (msisdn, minor) = match sim.transfer(&fields) {
        Ok((_, m, a)) => (m.to_owned(), a),
        Err(code) => return answer(code, &reference, None, None),
    };
    let suffix = &msisdn[msisdn.len().saturating_sub(3)..];
    let (decided, hang, duplicate) = {
        let mut st = sim.lock();
        if let Some(t) = st.txns.get(&reference) {
            let t = t.clone();
            st.stats.duplicates += 1;
            return answer("INS-10", &reference, Some(&t), None);
        }
        match suffix {
            "029" => return answer("INS-2051", &reference, None, None),
            "079" => return answer("INS-16", &reference, None, None),
            _ => {}
        }
        let txn = Sim::txn(Kind::C2b, &reference, &msisdn, minor);
        let decided = txn.decided.clone();
        st.insert(txn);
        st.stats.c2b_registered += 1;
        let hang = take_one(&mut st.faults.hang_next);
        let duplicate = take_one(&mut st.faults.duplicate_next);
        (decided, hang, duplicate)
    };
    // The payer answers (or not) whatever becomes of this call: a task of its own decides.
    tokio::spawn(sim.clone().prompt(reference.clone(), payer(&msisdn)));
    if duplicate {
        sim.lock().stats.duplicates += 1;
        let t = sim.lock().txns.get(&reference).cloned();
        return answer("INS-10", &reference, t.as_ref(), None);
    }
    let _open = OpenCall::new(&sim);
    decided.notified().await;
    if hang {
        tokio::time::sleep(sim.inner.config.hang_for).await;
    }
    let t = sim.lock().txns.get(&reference).cloned();
    match t {
        Some(t) => answer(t.code, &reference, Some(&t), None),
        None => answer("INS-1", &reference, None, None),
    }
}

/// Counts a C2B call while it is open.
struct OpenCall(Sim);

impl OpenCall {
    fn new(sim: &Sim) -> Self {
        let mut st = sim.lock();
        st.stats.open_calls += 1;
        st.stats.max_open_calls = st.stats.max_open_calls.max(st.stats.open_calls);
        drop(st);
        Self(sim.clone())
    }
}

impl Drop for OpenCall {
    fn drop(&mut self) {
        self.0.lock().stats.open_calls -= 1;
    }
}

impl Sim {
    /// The payer's answer to the prompt for `reference`, or the platform giving up.
    async fn prompt(self, reference: String, answer: Option<(u32, TxStatus, &'static str)>) {
        let config = &self.inner.config;
        match answer {
            Some((times, status, code)) if config.prompt_time * times < config.platform_timeout => {
                tokio::time::sleep(config.prompt_time * times).await;
                self.lock().decide(&reference, status, code);
            }
            Some(_) | None => {
                tokio::time::sleep(config.platform_timeout).await;
                self.lock().decide(&reference, TxStatus::Expired, "INS-9");
            }
        }
    }
}

/// `POST /ipg/v1x/b2cPayment/`: pays a customer at once from the merchant's balance.
pub async fn b2c(State(sim): State<Sim>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    let fields = Fields::json(&body).unwrap_or(Fields(HashMap::new()));
    let reference = match sim.admit(Op::B2c, &headers, &fields).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let (msisdn, minor) = match sim.transfer(&fields) {
        Ok((_, m, a)) => (m.to_owned(), a),
        Err(code) => return answer(code, &reference, None, None),
    };
    let (t, hang, duplicate) = {
        let mut st = sim.lock();
        if let Some(t) = st.txns.get(&reference).cloned() {
            st.stats.duplicates += 1;
            return answer("INS-10", &reference, Some(&t), None);
        }
        if msisdn.ends_with("029") {
            return answer("INS-2051", &reference, None, None);
        }
        if st.balance < minor {
            return answer("INS-2006", &reference, None, None);
        }
        let mut txn = Sim::txn(Kind::B2c, &reference, &msisdn, minor);
        let (status, code) = if msisdn.ends_with("069") {
            (TxStatus::Failed, "INS-6")
        } else {
            st.balance -= minor;
            st.stats.completed += 1;
            (TxStatus::Completed, "INS-0")
        };
        txn.status = status;
        txn.code = code;
        st.insert(txn.clone());
        let hang = take_one(&mut st.faults.hang_next);
        let duplicate = take_one(&mut st.faults.duplicate_next);
        (txn, hang, duplicate)
    };
    if duplicate {
        sim.lock().stats.duplicates += 1;
        return answer("INS-10", &reference, Some(&t), None);
    }
    if hang {
        tokio::time::sleep(sim.inner.config.hang_for).await;
    }
    answer(t.code, &reference, Some(&t), None)
}

/// `PUT /ipg/v1x/reversal/`: gives a completed C2B payment back, whole or in part.
pub async fn reversal(
    State(sim): State<Sim>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    let fields = Fields::json(&body).unwrap_or(Fields(HashMap::new()));
    let reference = match sim.admit(Op::Reversal, &headers, &fields).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let [transaction_id, credential, initiator, _, code] = match fields.require([
        "input_TransactionID",
        "input_SecurityCredential",
        "input_InitiatorIdentifier",
        "input_ThirdPartyReference",
        "input_ServiceProviderCode",
    ]) {
        Ok(f) => f,
        Err(code) => return answer(code, &reference, None, None),
    };
    if !sim.short_code(code) {
        return answer("INS-13", &reference, None, None);
    }
    if let Some((id, secret)) = &sim.inner.config.initiator {
        if initiator != id {
            return answer("INS-24", &reference, None, None);
        }
        if credential != secret {
            return answer("INS-25", &reference, None, None);
        }
    }
    let mut st = sim.lock();
    if let Some(t) = st.txns.get(&reference).cloned() {
        st.stats.duplicates += 1;
        return answer("INS-10", &reference, Some(&t), None);
    }
    let Some(paid) = st
        .find(transaction_id)
        .filter(|t| t.kind == Kind::C2b && t.status == TxStatus::Completed)
        .cloned()
    else {
        return answer("INS-18", &reference, None, None);
    };
    let minor = match fields.get("input_ReversalAmount") {
        Some(text) => match amount(text) {
            Some(a) => a,
            None => return answer("INS-15", &reference, None, None),
        },
        None => paid.amount - paid.reversed,
    };
    if minor > paid.amount - paid.reversed || minor == 0 {
        return answer("INS-15", &reference, None, None);
    }
    if let Some(t) = st.txns.get_mut(&paid.reference) {
        t.reversed += minor;
    }
    st.balance -= minor;
    let mut txn = Sim::txn(Kind::Reversal, &reference, &paid.msisdn, minor);
    txn.status = TxStatus::Completed;
    st.insert(txn.clone());
    st.stats.reversals += 1;
    st.stats.completed += 1;
    answer("INS-0", &reference, Some(&txn), None)
}

/// `GET /ipg/v1x/queryTransactionStatus/`: a transaction's status by our reference, its
/// transaction id or its conversation id; `N/A` for one M-Pesa does not know.
pub async fn query(State(sim): State<Sim>, headers: HeaderMap, RawQuery(q): RawQuery) -> Response {
    let fields = Fields::query(q.as_deref());
    let reference = match sim.admit(Op::Query, &headers, &fields).await {
        Ok(r) => r,
        Err(answer) => return answer,
    };
    let [asked, _, code] = match fields.require([
        "input_QueryReference",
        "input_ThirdPartyReference",
        "input_ServiceProviderCode",
    ]) {
        Ok(f) => f,
        Err(code) => return answer(code, &reference, None, None),
    };
    if !sim.short_code(code) {
        return answer("INS-13", &reference, None, None);
    }
    let st = sim.lock();
    match st.find(asked).cloned() {
        Some(t) => answer(
            "INS-0",
            &reference,
            Some(&t),
            Some(("output_ResponseTransactionStatus", t.status.word())),
        ),
        None => {
            let mut r = answer(
                "INS-0",
                &reference,
                None,
                Some(("output_ResponseTransactionStatus", "N/A")),
            );
            *r.status_mut() = StatusCode::OK;
            r
        }
    }
}

/// `GET /_simulator/stats`.
pub async fn stats(State(sim): State<Sim>) -> Response {
    reply(StatusCode::OK, json!(sim.stats()))
}

/// `PUT /_simulator/faults`.
pub async fn faults(State(sim): State<Sim>, body: axum::body::Bytes) -> Response {
    match serde_json::from_slice::<Faults>(&body) {
        Ok(f) => {
            sim.set_faults(f);
            empty(StatusCode::NO_CONTENT)
        }
        Err(e) => reply(StatusCode::BAD_REQUEST, json!({"error": e.to_string()})),
    }
}

/// `GET /_simulator/public_key`: the key clients encrypt their API key under.
pub async fn public_key(State(sim): State<Sim>) -> Response {
    reply(
        StatusCode::OK,
        json!({"public_key": sim.inner.config.keys.public_base64()}),
    )
}

/// `GET /_simulator/transactions/{reference}`: a transaction as the simulator holds it (by
/// third-party reference, transaction id or conversation id).
pub async fn transaction(State(sim): State<Sim>, Path(any): Path<String>) -> Response {
    match sim.lock().find(&any) {
        Some(t) => reply(
            StatusCode::OK,
            json!({"third_party_reference": t.reference, "transaction_id": t.transaction_id,
                   "conversation_id": t.conversation_id, "msisdn": t.msisdn,
                   "amount": Currency::Mzn.format_decimal(t.amount), "status": t.status.word(),
                   "response_code": t.code,
                   "reversed": Currency::Mzn.format_decimal(t.reversed)}),
        ),
        None => empty(StatusCode::NOT_FOUND),
    }
}

/// `POST /_simulator/transactions/{reference}/approve|decline`: the payer of a waiting prompt
/// (…009) answers.
pub async fn answer_prompt(
    State(sim): State<Sim>,
    Path((reference, what)): Path<(String, String)>,
) -> Response {
    let (status, code) = match what.as_str() {
        "approve" => (TxStatus::Completed, "INS-0"),
        "decline" => (TxStatus::Cancelled, "INS-5"),
        _ => return empty(StatusCode::NOT_FOUND),
    };
    let mut st = sim.lock();
    match st.txns.get(&reference) {
        Some(t) if t.status == TxStatus::Pending => {
            st.decide(&reference, status, code);
            empty(StatusCode::NO_CONTENT)
        }
        Some(_) => empty(StatusCode::CONFLICT),
        None => empty(StatusCode::NOT_FOUND),
    }
}
