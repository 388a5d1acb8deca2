//! How a webhook endpoint is doing: what waits for it, what is in flight, its current limit,
//! and how its latest attempts went.

use crate::auth::AuthContext;
use crate::delivery::flow::INITIAL_LIMIT;
use crate::endpoints::max_concurrency_of;
use crate::error::EngineError;
use crate::Engine;
use kumbu_core::Timestamp;

/// Attempts the health summary looks back over.
const RECENT: u32 = 100;

/// An endpoint's state, from its latest attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HealthState {
    /// Its latest attempts succeeded (or none was made yet).
    Healthy,
    /// Some of its latest attempts failed.
    Degraded,
    /// Every attempt failed since `failing_since`; after 3 days it is disabled.
    Failing,
    /// Disabled (by hand, or after 3 days of failures): nothing is sent to it.
    Disabled,
}

impl HealthState {
    /// Its name, as the API and the dashboard show it.
    pub const fn as_str(self) -> &'static str {
        match self {
            HealthState::Healthy => "healthy",
            HealthState::Degraded => "degraded",
            HealthState::Failing => "failing",
            HealthState::Disabled => "disabled",
        }
    }
}

/// What `GET /v1/webhook_endpoints/{id}` shows as `health`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EndpointHealth {
    /// The summary.
    pub state: HealthState,
    /// Deliveries in flight now, across the gateway's processes.
    pub in_flight: i64,
    /// How many may be in flight at once now (adapts to the endpoint, up to its
    /// `max_concurrency`).
    pub concurrency_limit: u32,
    /// Deliveries due now and waiting for a free slot.
    pub queued: i64,
    /// Deliveries not yet delivered nor given up (queued, in flight, or waiting for a retry).
    pub pending: i64,
    /// Since when every attempt failed.
    pub failing_since: Option<Timestamp>,
    /// How many of the latest attempts are summarised (at most 100).
    pub recent_attempts: usize,
    /// Of those, how many failed.
    pub recent_failures: usize,
    /// Their latency, median and 99th percentile, in milliseconds.
    pub latency_p50_ms: Option<i64>,
    /// See `latency_p50_ms`.
    pub latency_p99_ms: Option<i64>,
    /// The latest attempt: when, its HTTP status (if any), its error (if any).
    pub last_attempt_at: Option<Timestamp>,
    /// See `last_attempt_at`.
    pub last_status_code: Option<u16>,
    /// See `last_attempt_at`.
    pub last_error: Option<String>,
}

fn percentile(sorted: &[i64], p: usize) -> Option<i64> {
    if sorted.is_empty() {
        return None;
    }
    let i = (sorted.len() * p).div_ceil(100).saturating_sub(1);
    sorted.get(i.min(sorted.len() - 1)).copied()
}

impl Engine {
    /// One endpoint's health.
    pub async fn endpoint_health(
        &self,
        auth: &AuthContext,
        id: &str,
    ) -> Result<EndpointHealth, EngineError> {
        let e = self.own_endpoint(auth, id).await?;
        let h = self
            .store()
            .endpoint_health(&e.id, self.now(), RECENT)
            .await?;
        let failed = |code: Option<i64>, error: &Option<String>| {
            !code.is_some_and(|c| (200..300).contains(&c)) || error.is_some()
        };
        let recent_failures = h.recent.iter().filter(|r| failed(r.0, &r.2)).count();
        let mut latencies: Vec<i64> = h.recent.iter().map(|r| r.1).collect();
        latencies.sort_unstable();
        let last = h.recent.first();
        let max = max_concurrency_of(&e);
        let state = if e.status != "enabled" {
            HealthState::Disabled
        } else if e.failing_since.is_some() {
            HealthState::Failing
        } else if recent_failures > 0 {
            HealthState::Degraded
        } else {
            HealthState::Healthy
        };
        Ok(EndpointHealth {
            state,
            in_flight: h.in_flight,
            concurrency_limit: h
                .limit
                .and_then(|l| u32::try_from(l).ok())
                .unwrap_or(INITIAL_LIMIT)
                .clamp(1, max),
            queued: h.queued,
            pending: h.pending,
            failing_since: e.failing_since,
            recent_attempts: h.recent.len(),
            recent_failures,
            latency_p50_ms: percentile(&latencies, 50),
            latency_p99_ms: percentile(&latencies, 99),
            last_attempt_at: last.map(|r| r.3),
            last_status_code: last.and_then(|r| r.0).and_then(|c| u16::try_from(c).ok()),
            last_error: last.and_then(|r| r.2.clone()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_of_a_few() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 99), Some(7));
        let v: Vec<i64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 99), Some(99));
    }
}
