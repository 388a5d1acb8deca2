//! Webhook endpoints: where a merchant wants events pushed, and with which secret they are signed.
//!
//! Over 500 lines with its tests (about 550 of code): commands, the destination checks and fan-out
//! rules of one object, the endpoint.

use crate::auth::AuthContext;
use crate::delivery::flow::{DEFAULT_MAX_CONCURRENCY, MAX_CONCURRENCY};
use crate::error::EngineError;
use crate::events::types::event_types;
use crate::idempotency::{IdempotencyRequest, Outcome, Recorded, Verdict};
use crate::Engine;
use kumbu_core::ids::{has_shape, random_token};
use kumbu_core::{ErrorCode, Field, Mode, Rejection, Timestamp};
use kumbu_store::{
    AttemptRecord, EndpointRecord, StoreTx, WEBHOOK_PREVIOUS_SECRET, WEBHOOK_SECRET,
};
use std::time::Duration;

/// How long a rotated-out secret keeps signing beside the new one.
pub const PREVIOUS_SECRET_GRACE: Duration = Duration::from_secs(24 * 3600);

/// A request to create an endpoint.
#[derive(Debug, Clone)]
pub struct CreateEndpoint {
    /// `http(s)://…`
    pub url: String,
    /// Event types, or `["*"]` for all.
    pub events: Vec<String>,
    /// Free text.
    pub description: Option<String>,
    /// What is POSTed and how it is signed.
    pub format: WebhookFormat,
    /// For [`WebhookFormat::Proxypay`]: the API key deliveries are signed with (the key the
    /// merchant's ProxyPay code holds); sealed at rest.
    pub signing_key: Option<secrecy::SecretString>,
    /// Most deliveries in flight at once (1 to [`MAX_CONCURRENCY`]); the default otherwise.
    pub max_concurrency: Option<i64>,
}

/// What an endpoint receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WebhookFormat {
    /// Kumbu events, signed with `Kumbu-Signature` under the endpoint's `whsec_` secret.
    Native,
    /// ProxyPay's flat payment object, for payments by reference only, signed with `X-Signature`
    /// = hex HMAC-SHA256 keyed by the merchant's API key.
    Proxypay,
    /// PlexosPay's event envelope, signed with `X-Plexos-Signature` = hex HMAC-SHA256 of
    /// `"<timestamp>.<body>"` under the endpoint's `whsec_` secret, and `X-Plexos-Timestamp`.
    Plexospay,
    /// Adullam's event envelope, signed with `X-Adullam-Signature: t=<unix>,v1=<hex>` (the
    /// native construction; Adullam's own header was not documented).
    Adullam,
    /// Simiz's event envelope (`transaction.*` for checkout sessions), signed with
    /// `X-Simiz-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`.
    Simiz,
}

impl WebhookFormat {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            WebhookFormat::Native => "native",
            WebhookFormat::Proxypay => "proxypay",
            WebhookFormat::Plexospay => "plexospay",
            WebhookFormat::Adullam => "adullam",
            WebhookFormat::Simiz => "simiz",
        }
    }

    /// Parses a stored or requested name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "native" => Some(WebhookFormat::Native),
            "proxypay" => Some(WebhookFormat::Proxypay),
            "plexospay" => Some(WebhookFormat::Plexospay),
            "adullam" => Some(WebhookFormat::Adullam),
            "simiz" => Some(WebhookFormat::Simiz),
            _ => None,
        }
    }
}

/// An endpoint as merchants see it (and as its events carry it, without the secret).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Endpoint {
    /// `we_…`
    pub id: String,
    /// Test or live.
    pub mode: Mode,
    /// Where events go.
    pub url: String,
    /// Subscribed types (`["*"]` for all).
    pub events: Vec<String>,
    /// Free text.
    pub description: Option<String>,
    /// `enabled` or `disabled`.
    pub status: String,
    /// What it receives.
    pub format: WebhookFormat,
    /// Most deliveries in flight at once, across the gateway's processes.
    #[serde(default = "default_max_concurrency")]
    pub max_concurrency: u32,
    /// When created.
    pub created_at: Timestamp,
    /// The signing secret: present only in the response that created or rotated it.
    #[serde(skip)]
    pub secret: Option<String>,
}

fn default_max_concurrency() -> u32 {
    DEFAULT_MAX_CONCURRENCY
}

/// An endpoint's effective `max_concurrency`.
pub(crate) fn max_concurrency_of(r: &EndpointRecord) -> u32 {
    r.max_concurrency
        .and_then(|m| u32::try_from(m).ok())
        .unwrap_or(DEFAULT_MAX_CONCURRENCY)
        .max(1)
}

/// Checks a requested `max_concurrency`.
fn check_max_concurrency(m: Option<i64>) -> Result<Option<i64>, EngineError> {
    match m {
        Some(n) if !(1..=i64::from(MAX_CONCURRENCY)).contains(&n) => Err(reject(
            ErrorCode::ParameterInvalid,
            Field::MaxConcurrency,
            format!("max_concurrency must be from 1 to {MAX_CONCURRENCY}"),
        )),
        m => Ok(m),
    }
}

impl From<&EndpointRecord> for Endpoint {
    fn from(r: &EndpointRecord) -> Self {
        let events = if r.events == "*" {
            vec!["*".to_owned()]
        } else {
            r.events
                .split(',')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        Self {
            id: r.id.clone(),
            mode: r.mode,
            url: r.url.clone(),
            events,
            description: r.description.clone(),
            status: r.status.clone(),
            format: WebhookFormat::parse(&r.format).unwrap_or(WebhookFormat::Native),
            max_concurrency: max_concurrency_of(r),
            created_at: r.created_at,
            secret: None,
        }
    }
}

fn reject(code: ErrorCode, field: Field, msg: impl Into<String>) -> EngineError {
    EngineError::Rejected(Rejection::field(code, field, msg))
}

/// The most event types an endpoint may list (or `["*"]`).
pub const MAX_ENDPOINT_EVENTS: usize = 20;

impl Engine {
    /// Creates an endpoint and returns it with its secret (shown this once).
    pub async fn create_endpoint(
        &self,
        auth: &AuthContext,
        cmd: CreateEndpoint,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Endpoint) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        // The address without its query (where some put a token).
        let shown = cmd
            .url
            .split(['?', '#'])
            .next()
            .unwrap_or_default()
            .to_owned();
        let auth = &auth.or_key("webhook_endpoint.created", "", shown);
        self.check_destination(auth.mode, &cmd.url).await?;
        let max_concurrency = check_max_concurrency(cmd.max_concurrency)?;
        let mut cmd = cmd;
        let proxypay_key = match cmd.format {
            WebhookFormat::Native
            | WebhookFormat::Plexospay
            | WebhookFormat::Adullam
            | WebhookFormat::Simiz => None,
            WebhookFormat::Proxypay => {
                // ProxyPay endpoints receive settled payments by reference, nothing else.
                cmd.events = vec!["payment.settled".to_owned()];
                Some(cmd.signing_key.take().ok_or_else(|| {
                    reject(
                        ErrorCode::ParameterInvalid,
                        Field::Events,
                        "a ProxyPay endpoint is signed with the API key that creates it; none was given",
                    )
                })?)
            }
        };
        let known = event_types();
        if cmd.events.is_empty() || cmd.events.len() > MAX_ENDPOINT_EVENTS {
            return Err(reject(
                ErrorCode::ParameterInvalid,
                Field::Events,
                "events must list 1 to 20 event types, or [\"*\"] for all",
            ));
        }
        let all = cmd.events.iter().any(|e| e == "*");
        if let Some(bad) = cmd.events.iter().find(|e| *e != "*" && !known.contains(e)) {
            return Err(reject(
                ErrorCode::ParameterInvalid,
                Field::Events,
                format!(
                    "unknown event type `{bad}`; one of: *, {}",
                    known.join(", ")
                ),
            ));
        }
        if cmd
            .description
            .as_ref()
            .is_some_and(|d| d.chars().count() > 500)
        {
            return Err(reject(
                ErrorCode::ParameterInvalid,
                Field::Description,
                "description must be at most 500 characters",
            ));
        }
        if let Some(d) = &cmd.description {
            crate::validate::plain_text(Field::Description, d, "description")?;
        }
        let now = self.now();
        let rec = EndpointRecord {
            id: kumbu_core::ids::new_id(kumbu_core::IdPrefix::WebhookEndpoint),
            merchant_id: auth.merchant_id.clone(),
            mode: auth.mode,
            url: cmd.url,
            description: cmd.description,
            events: if all {
                "*".to_owned()
            } else {
                format!(",{},", cmd.events.join(","))
            },
            status: "enabled".to_owned(),
            format: cmd.format.as_str().to_owned(),
            secret: String::new(),
            previous_secret: None,
            previous_secret_until: None,
            failing_since: None,
            max_concurrency,
            created_at: now,
            updated_at: now,
        };
        let (secret, shown) = match proxypay_key {
            None => {
                let s = format!("whsec_{}", random_token(32));
                (s.clone(), Some(s))
            }
            Some(key) => (secrecy::ExposeSecret::expose_secret(&key).to_owned(), None),
        };
        let mut rec = rec;
        rec.secret = self.seal(&WEBHOOK_SECRET.context(&rec.id), &secret);
        let max_endpoints = self.config().max_webhook_endpoints;
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, _changes: &mut crate::unit_of_work::Changes| {
                let held = tx
                    .endpoints_counted_for_update(&rec.merchant_id, rec.mode)
                    .await?;
                if held >= i64::from(max_endpoints) {
                    return Err(EngineError::Rejected(Rejection::new(
                        ErrorCode::LimitReached,
                        format!("this merchant has {held} webhook endpoints in this mode, as many as this gateway allows ({max_endpoints}); delete one first, or ask the operator (--max-webhook-endpoints)"),
                    )));
                }
                tx.insert_endpoint(&rec).await?;
                let mut view = Endpoint::from(&rec);
                view.secret = shown;
                Ok(Verdict::Shows(render(&view)))
            },
        )
        .await
    }

    pub(crate) async fn own_endpoint(
        &self,
        auth: &AuthContext,
        id: &str,
    ) -> Result<EndpointRecord, EngineError> {
        if !has_shape(id, kumbu_core::IdPrefix::WebhookEndpoint) {
            return Err(EngineError::not_found("webhook endpoint", id));
        }
        match self
            .store()
            .endpoint(&auth.merchant_id, auth.mode, id)
            .await?
        {
            Some(e) if e.status != "deleted" => Ok(e),
            Some(_) | None => Err(EngineError::not_found("webhook endpoint", id)),
        }
    }

    /// One endpoint (without its secret).
    pub async fn endpoint(&self, auth: &AuthContext, id: &str) -> Result<Endpoint, EngineError> {
        Ok(Endpoint::from(&self.own_endpoint(auth, id).await?))
    }

    /// The caller's endpoints, oldest first.
    pub async fn endpoints(&self, auth: &AuthContext) -> Result<Vec<Endpoint>, EngineError> {
        Ok(self
            .store()
            .endpoints(&auth.merchant_id, auth.mode)
            .await?
            .iter()
            .map(Endpoint::from)
            .collect())
    }

    /// The caller's endpoints of one format (a face lists only its own).
    pub async fn endpoints_of(
        &self,
        auth: &AuthContext,
        format: WebhookFormat,
    ) -> Result<Vec<Endpoint>, EngineError> {
        let mut list = self.endpoints(auth).await?;
        list.retain(|e| e.format == format);
        Ok(list)
    }

    /// Enables or disables an endpoint by hand (enabling also forgets its failure streak).
    pub async fn set_endpoint_enabled(
        &self,
        auth: &AuthContext,
        id: &str,
        enabled: bool,
    ) -> Result<Endpoint, EngineError> {
        let action = if enabled {
            "webhook_endpoint.enabled"
        } else {
            "webhook_endpoint.disabled"
        };
        let auth = &auth.or_key(action, id, String::new());
        let e = self.own_endpoint(auth, id).await?;
        let status = if enabled { "enabled" } else { "disabled" };
        let mut tx = self.begin().await?;
        tx.set_endpoint_status(&e.id, status, self.now()).await?;
        self.audit_as(&mut tx, auth).await?;
        self.commit(tx).await?;
        Ok(Endpoint::from(&self.own_endpoint(auth, id).await?))
    }

    /// Disables endpoints that have failed without a break for [`RETRY_FOR`] (3 days), writing a
    /// `webhook_endpoint.disabled` event for each in the same transaction.
    pub(crate) async fn disable_failing_endpoints(
        &self,
        now: Timestamp,
    ) -> Result<usize, EngineError> {
        let mut tx = self.begin().await?;
        let disabled = tx
            .disable_failing_endpoints(now.minus(crate::delivery::policy::RETRY_FOR), now)
            .await?;
        if disabled.is_empty() {
            tx.rollback().await?;
            return Ok(0);
        }
        let mut events = Vec::with_capacity(disabled.len());
        for e in &disabled {
            tracing::warn!(endpoint = %e.id, url = %e.url, "webhook endpoint disabled after 3 days of failed deliveries");
            let view = Endpoint::from(e);
            events.push(kumbu_store::NewEvent {
                id: kumbu_core::ids::new_id(kumbu_core::IdPrefix::Event),
                merchant_id: e.merchant_id.clone(),
                mode: e.mode,
                event_type: crate::events::types::ENDPOINT_DISABLED.to_owned(),
                object_id: e.id.clone(),
                object_seq: tx.next_object_seq(&e.id).await?,
                payload: serde_json::to_string(&view).unwrap_or_else(|_| "{}".to_owned()),
                created_at: now,
            });
        }
        tx.publish_events(&events).await?;
        self.commit(tx).await?;
        Ok(disabled.len())
    }

    /// Changes how many deliveries an endpoint may have in flight at once (`None`: back to the
    /// default). It applies to sends that start from the next renewal of the slots (within a
    /// second), in every process.
    pub async fn set_endpoint_max_concurrency(
        &self,
        auth: &AuthContext,
        id: &str,
        max_concurrency: Option<i64>,
    ) -> Result<Endpoint, EngineError> {
        let max_concurrency = check_max_concurrency(max_concurrency)?;
        let e = self.own_endpoint(auth, id).await?;
        self.store()
            .set_endpoint_max_concurrency(&e.id, max_concurrency, self.now())
            .await?;
        Ok(Endpoint::from(&self.own_endpoint(auth, id).await?))
    }

    /// Deletes an endpoint: nothing more is sent to it.
    pub async fn delete_endpoint(&self, auth: &AuthContext, id: &str) -> Result<(), EngineError> {
        let auth = &auth.or_key("webhook_endpoint.deleted", id, String::new());
        let e = self.own_endpoint(auth, id).await?;
        let mut tx = self.begin().await?;
        tx.set_endpoint_status(&e.id, "deleted", self.now()).await?;
        self.audit_as(&mut tx, auth).await?;
        self.commit(tx).await?;
        Ok(())
    }

    /// Sends a `webhook_endpoint.test` event to this endpoint alone, whatever it subscribes to
    /// (so that a developer can check their receiver and its signature check before a real
    /// event comes): the endpoint's view, signed like any event, delivered and retried like
    /// one, listed with the events. Only the native format has such an event (the services
    /// whose formats the others speak have none); it returns the event's id.
    pub async fn send_test_event(
        &self,
        auth: &AuthContext,
        id: &str,
    ) -> Result<String, EngineError> {
        let auth = &auth.or_key("webhook_endpoint.test_sent", id, String::new());
        let e = self.own_endpoint(auth, id).await?;
        if e.format != WebhookFormat::Native.as_str() {
            return Err(reject(
                ErrorCode::ParameterInvalid,
                Field::Id,
                format!(
                    "a {} endpoint receives only what that service sends, which has no test event; make a payment with a test key instead",
                    e.format
                ),
            ));
        }
        if e.status != "enabled" {
            return Err(reject(
                ErrorCode::ParameterInvalid,
                Field::Id,
                "the endpoint is disabled: enable it first",
            ));
        }
        let now = self.now();
        let mut tx = self.begin().await?;
        let event = kumbu_store::NewEvent {
            id: kumbu_core::ids::new_id(kumbu_core::IdPrefix::Event),
            merchant_id: e.merchant_id.clone(),
            mode: e.mode,
            event_type: crate::events::types::ENDPOINT_TEST.to_owned(),
            object_id: e.id.clone(),
            object_seq: tx.next_object_seq(&e.id).await?,
            payload: serde_json::to_string(&Endpoint::from(&e)).unwrap_or_else(|_| "{}".to_owned()),
            created_at: now,
        };
        tx.publish_events(std::slice::from_ref(&event)).await?;
        self.audit_as(&mut tx, auth).await?;
        self.commit(tx).await?;
        self.inner.deliveries_ready.notify_one();
        Ok(event.id)
    }

    /// Gives an endpoint a new secret; the old one keeps signing beside it for 24 hours. With an
    /// Idempotency-Key a retried rotation returns the same new secret instead of minting another.
    pub async fn rotate_endpoint_secret(
        &self,
        auth: &AuthContext,
        id: &str,
        idem: Option<&IdempotencyRequest>,
        render: impl FnOnce(&Endpoint) -> Recorded,
    ) -> Result<Outcome, EngineError> {
        let auth = &auth.or_key("webhook_endpoint.secret_rotated", id, String::new());
        let e = self.own_endpoint(auth, id).await?;
        if e.format != WebhookFormat::Native.as_str() {
            return Err(reject(
                ErrorCode::ParameterInvalid,
                Field::Id,
                "a ProxyPay endpoint is signed with your API key and has no secret to rotate; delete it and create it again with the new key",
            ));
        }
        let now = self.now();
        let secret = format!("whsec_{}", random_token(32));
        let sealed = self.seal(&WEBHOOK_SECRET.context(&e.id), &secret);
        self.idempotent(
            auth,
            idem,
            async move |tx: &mut StoreTx, _changes: &mut crate::unit_of_work::Changes| {
                tx.rotate_endpoint_secret(&e.id, &sealed, now.plus(PREVIOUS_SECRET_GRACE), now)
                    .await?;
                let mut view = Endpoint::from(&e);
                view.secret = Some(secret);
                Ok(Verdict::Shows(render(&view)))
            },
        )
        .await
    }

    /// The secrets an endpoint's deliveries are signed with at `now`, opened: the current one,
    /// and the previous one during the grace period after a rotation.
    pub(crate) fn signing_secrets(
        &self,
        e: &EndpointRecord,
        now: Timestamp,
    ) -> Result<Vec<String>, EngineError> {
        let mut secrets = vec![self.open(&WEBHOOK_SECRET.context(&e.id), &e.secret)?];
        if let (Some(prev), Some(until)) = (&e.previous_secret, e.previous_secret_until) {
            if now < until {
                secrets.push(self.open(&WEBHOOK_PREVIOUS_SECRET.context(&e.id), prev)?);
            }
        }
        Ok(secrets)
    }

    /// Every delivery attempt of one of the caller's events.
    pub async fn deliveries(
        &self,
        auth: &AuthContext,
        event_id: &str,
    ) -> Result<Vec<AttemptRecord>, EngineError> {
        if !has_shape(event_id, kumbu_core::IdPrefix::Event) {
            return Err(EngineError::not_found("event", event_id));
        }
        self.store()
            .attempts_for_event(&auth.merchant_id, auth.mode, event_id)
            .await?
            .ok_or_else(|| EngineError::not_found("event", event_id))
    }

    /// Delivers one of the caller's events again, now, to every subscribed endpoint.
    pub async fn resend_event(
        &self,
        auth: &AuthContext,
        event_id: &str,
    ) -> Result<u64, EngineError> {
        let auth = &auth.or_key("event.resent", event_id, String::new());
        self.event(auth, event_id).await?;
        let mut tx = self.begin().await?;
        let n = tx.resend_event(event_id, self.now()).await?;
        self.audit_as(&mut tx, auth).await?;
        self.commit(tx).await?;
        self.inner.deliveries_ready.notify_one();
        Ok(n)
    }
}
