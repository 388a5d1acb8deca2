//! The delivery policy: how long one attempt may take, and when a failed one is tried again
//! (doubling from 30 s up to 12 h, with jitter, for three days).

use rand::Rng;
use std::time::Duration;

/// Per-request timeout.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(10);
/// Retries stop this long after the event.
pub const RETRY_FOR: Duration = Duration::from_secs(3 * 24 * 3600);
/// First retry delay; it doubles per attempt.
const FIRST_RETRY: Duration = Duration::from_secs(30);
/// Longest delay between two attempts.
const MAX_RETRY: Duration = Duration::from_secs(12 * 3600);

/// Delay before retry number `n` (1 = after the first failure): 30 s × 2ⁿ⁻¹, at most 12 h,
/// with ±10 % jitter so a recovering endpoint is not hit by every retry at once.
pub fn retry_delay(n: i64) -> Duration {
    let exp = u32::try_from((n - 1).clamp(0, 20)).unwrap_or(20);
    let base = FIRST_RETRY
        .saturating_mul(2u32.saturating_pow(exp))
        .min(MAX_RETRY);
    let jitter = rand::thread_rng().gen_range(0.9..1.1);
    base.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_grow_and_cover_three_days() {
        let d = |n| retry_delay(n).as_secs_f64();
        assert!((27.0..=33.0).contains(&d(1)));
        assert!((54.0..=66.0).contains(&d(2)));
        assert!(d(30) <= 12.0 * 3600.0 * 1.1);
        let total: f64 = (1..=20).map(d).sum();
        assert!(
            total > 3.0 * 24.0 * 3600.0,
            "20 attempts span more than 3 days: {total}"
        );
    }
}
