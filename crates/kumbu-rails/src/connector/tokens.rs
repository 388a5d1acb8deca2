//! A cache of operators' access tokens that refreshes early and one refresh at a time.

use super::CallError;
use kumbu_core::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How early a cached token is replaced before the operator says it expires.
pub const REFRESH_EARLY: Duration = Duration::from_secs(60);

/// A token as cached: the value and when it stops being used.
#[derive(Clone)]
struct Cached {
    value: SecretString,
    use_until: Timestamp,
}

type Slot = Arc<tokio::sync::Mutex<Option<Cached>>>;

/// Access tokens per key (for MTN: a merchant's credentials and a product), refreshed
/// [`REFRESH_EARLY`] before they expire, one refresh at a time per key: callers that find the
/// token stale while another is fetching wait for that fetch instead of starting their own.
pub struct TokenCache<K> {
    slots: Mutex<HashMap<K, Slot>>,
}

impl<K> std::fmt::Debug for TokenCache<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCache")
    }
}

impl<K> Default for TokenCache<K> {
    fn default() -> Self {
        Self {
            slots: Mutex::new(HashMap::new()),
        }
    }
}

impl<K: Eq + Hash + Clone> TokenCache<K> {
    fn slot(&self, key: &K) -> Slot {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.entry(key.clone()).or_default().clone()
    }

    /// The token for `key`, fetched with `fetch` (which returns the token and its lifetime) when
    /// there is none or it is due for refresh at `now`.
    pub async fn get<F, Fut>(
        &self,
        key: &K,
        now: Timestamp,
        fetch: F,
    ) -> Result<SecretString, CallError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(SecretString, Duration), CallError>>,
    {
        let slot = self.slot(key);
        let mut held = slot.lock().await;
        if let Some(c) = held.as_ref() {
            if now < c.use_until {
                return Ok(c.value.clone());
            }
        }
        let (value, lifetime) = fetch().await?;
        let use_until = now.plus(lifetime.saturating_sub(REFRESH_EARLY));
        *held = Some(Cached {
            value: value.clone(),
            use_until,
        });
        Ok(value)
    }

    /// Forgets `failed` (a token the operator refused), unless another caller already replaced
    /// it: then the fresh one stays.
    pub async fn invalidate(&self, key: &K, failed: &SecretString) {
        let slot = self.slot(key);
        let mut held = slot.lock().await;
        if held
            .as_ref()
            .is_some_and(|c| c.value.expose_secret() == failed.expose_secret())
        {
            *held = None;
        }
    }

    /// Forgets every token of keys matching `pred` (credentials replaced).
    pub fn forget(&self, pred: impl Fn(&K) -> bool) {
        let mut slots = self
            .slots
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        slots.retain(|k, _| !pred(k));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[tokio::test]
    async fn one_fetch_serves_until_shortly_before_expiry() {
        let cache = TokenCache::<&str>::default();
        let fetches = AtomicU32::new(0);
        let fetch = || async {
            let n = fetches.fetch_add(1, Ordering::SeqCst);
            Ok((
                SecretString::from(format!("t{n}")),
                Duration::from_secs(3600),
            ))
        };
        let t0 = Timestamp::from_micros(0);
        let a = cache.get(&"k", t0, fetch).await.unwrap();
        let b = cache
            .get(&"k", t0.plus(Duration::from_secs(3500)), fetch)
            .await
            .unwrap();
        assert_eq!(a.expose_secret(), b.expose_secret());
        // 60 s before expiry it is replaced.
        let c = cache
            .get(&"k", t0.plus(Duration::from_secs(3541)), fetch)
            .await
            .unwrap();
        assert_eq!(c.expose_secret(), "t1");
        assert_eq!(fetches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn invalidating_a_replaced_token_keeps_the_fresh_one() {
        let cache = TokenCache::<&str>::default();
        let t0 = Timestamp::from_micros(0);
        let ok =
            |v: &'static str| async move { Ok((SecretString::from(v), Duration::from_secs(3600))) };
        let old = cache.get(&"k", t0, || ok("old")).await.unwrap();
        cache.invalidate(&"k", &old).await;
        let fresh = cache.get(&"k", t0, || ok("fresh")).await.unwrap();
        // A second caller that also saw `old` refused must not throw `fresh` away.
        cache.invalidate(&"k", &old).await;
        let again = cache.get(&"k", t0, || ok("third")).await.unwrap();
        assert_eq!(fresh.expose_secret(), again.expose_secret());
    }

    #[tokio::test]
    async fn concurrent_callers_share_one_refresh() {
        let cache = Arc::new(TokenCache::<&str>::default());
        let fetches = Arc::new(AtomicU32::new(0));
        let t0 = Timestamp::from_micros(0);
        let tasks: Vec<_> = (0..8)
            .map(|_| {
                let (cache, fetches) = (cache.clone(), fetches.clone());
                tokio::spawn(async move {
                    cache
                        .get(&"k", t0, || async {
                            fetches.fetch_add(1, Ordering::SeqCst);
                            tokio::time::sleep(Duration::from_millis(20)).await;
                            Ok((SecretString::from("t"), Duration::from_secs(3600)))
                        })
                        .await
                        .unwrap()
                })
            })
            .collect();
        for t in tasks {
            t.await.unwrap();
        }
        assert_eq!(fetches.load(Ordering::SeqCst), 1);
    }
}
