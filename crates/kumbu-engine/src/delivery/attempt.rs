//! One delivery attempt: the event rendered in its endpoint's format, signed, POSTed, and what
//! came back (with what it says of the endpoint's capacity); failures are retried with growing
//! delays for three days. The dispatcher (`dispatcher/`) decides when each attempt is made.

use super::policy::{retry_delay, DELIVERY_TIMEOUT, RETRY_FOR};
use crate::delivery::flow::Signal;
use crate::endpoints::WebhookFormat;
use crate::error::EngineError;
use crate::events::to_event;
use crate::Engine;
use kumbu_core::Timestamp;
use kumbu_store::{AttemptResult, DueDelivery, NextStep};
use std::time::Instant;

/// Why a request got no (complete) answer, as an attempt records it.
fn failure(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        format!("timed out after {} s", DELIVERY_TIMEOUT.as_secs())
    } else if e.is_connect() {
        "connection failed".to_owned()
    } else {
        "request failed".to_owned()
    }
}

/// How much of an answer's body an attempt keeps (and reads).
const KEPT: usize = 1024;

fn excerpt(bytes: &[u8]) -> String {
    let cut = &bytes[..bytes.len().min(KEPT)];
    String::from_utf8_lossy(cut).into_owned()
}

/// Reads at most [`KEPT`] bytes of an answer's body, then lets the connection go: an endpoint
/// that streams without end costs a chunk, not ten seconds of buffering at network speed.
async fn head_of(mut resp: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut kept = Vec::new();
    while kept.len() < KEPT {
        let Some(chunk) = resp.chunk().await? else {
            break;
        };
        kept.extend_from_slice(&chunk[..chunk.len().min(KEPT - kept.len())]);
    }
    Ok(kept)
}

impl Engine {
    /// Records attempts (one transaction), disables endpoints that failed for too long, and
    /// counts the outcomes.
    pub(crate) async fn record(&self, results: &[AttemptResult]) -> Result<(), EngineError> {
        self.store().record_attempts(results).await?;
        if results.iter().any(|r| r.next != NextStep::Delivered) {
            self.disable_failing_endpoints(self.now()).await?;
        }
        for r in results {
            let outcome = match r.next {
                NextStep::Delivered => "delivered",
                NextStep::RetryAt(_) => "retry",
                NextStep::GiveUp => "failed",
            };
            metrics::counter!("kumbu_webhook_attempts_total", "outcome" => outcome).increment(1);
        }
        Ok(())
    }

    /// Makes one attempt: what happened, and what it says of the endpoint's capacity.
    pub(crate) async fn attempt(&self, d: DueDelivery, now: Timestamp) -> (AttemptResult, Signal) {
        let mut result = AttemptResult {
            delivery_seq: d.seq,
            event_id: d.event.id.clone(),
            endpoint_id: d.endpoint.id.clone(),
            at: now,
            status_code: None,
            latency_ms: 0,
            error: None,
            response_excerpt: None,
            next: NextStep::GiveUp,
            acks_event: false,
        };
        let format = WebhookFormat::parse(&d.endpoint.format).unwrap_or(WebhookFormat::Native);
        let face = self.inner.webhooks.face(format);
        result.acks_event = face.acks_event();
        if d.endpoint.status != "enabled" {
            result.error = Some(format!("endpoint is {}", d.endpoint.status));
            return (result, Signal::NotSent);
        }
        let event = match to_event(d.event.clone()) {
            Ok(e) => e,
            Err(e) => {
                result.error = Some(format!("unreadable event: {e}"));
                return (result, Signal::NotSent);
            }
        };
        let Some(body) = face.body(&event) else {
            // Nothing this format carries (fan-out already filters these; kept for safety).
            result.error = Some(format!("nothing to send in the {} format", format.as_str()));
            result.next = NextStep::Delivered;
            return (result, Signal::NotSent);
        };
        let secrets = match self.signing_secrets(&d.endpoint, now) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(endpoint = %d.endpoint.id, error = %e, "cannot open the endpoint's signing secret");
                result.error = Some("the endpoint's signing secret cannot be opened".to_owned());
                result.next = self.after_failure(&d, now);
                return (result, Signal::NotSent);
            }
        };
        // Checked again at delivery: the endpoint's host may resolve elsewhere by now. (Names are
        // also filtered by the live client's resolver; this catches IP-literal URLs.)
        if let Err(e) = self.check_destination(d.event.mode, &d.endpoint.url).await {
            result.error = Some(format!(
                "destination refused: {}",
                crate::error::message_of(&e)
            ));
            result.next = self.after_failure(&d, now);
            return (result, Signal::NotSent);
        }
        let secrets: Vec<&str> = secrets.iter().map(String::as_str).collect();
        let started = Instant::now();
        let client = match d.event.mode {
            kumbu_core::Mode::Live => &self.inner.http_live,
            kumbu_core::Mode::Test => &self.inner.http,
        };
        let request = client
            .post(&d.endpoint.url)
            .header("content-type", "application/json")
            .header("user-agent", concat!("Kumbu/", env!("CARGO_PKG_VERSION")));
        let mut request = request;
        for (name, value) in face.headers(&event, &secrets, now.unix_seconds(), body.as_bytes()) {
            request = request.header(name, value);
        }
        let sent = request.body(body).send().await;
        // No answer at all (timeout, refused, dropped) says the endpoint is overloaded or down.
        let (ok, signal) = match sent {
            Ok(resp) => {
                let status = resp.status();
                result.status_code = Some(status.as_u16());
                match head_of(resp).await {
                    Ok(b) => {
                        result.response_excerpt = Some(excerpt(&b));
                        (status.is_success(), Signal::of_status(status.as_u16()))
                    }
                    Err(e) => {
                        result.error = Some(failure(&e));
                        (false, Signal::Overloaded)
                    }
                }
            }
            Err(e) => {
                result.error = Some(failure(&e));
                (false, Signal::Overloaded)
            }
        };
        result.latency_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        result.next = if ok {
            NextStep::Delivered
        } else {
            self.after_failure(&d, now)
        };
        (result, signal)
    }

    /// After a failed attempt: retry later, or give up once the event is 3 days old.
    fn after_failure(&self, d: &DueDelivery, now: Timestamp) -> NextStep {
        if now >= d.created_at.plus(RETRY_FOR) {
            NextStep::GiveUp
        } else {
            NextStep::RetryAt(now.plus(retry_delay(d.attempts + 1)))
        }
    }
}
