//! Calls an operator holds open until the payer answers (M-Pesa's C2B answers only when the payer
//! has entered their PIN, or after 60–90 s). Such a call is not made within the worker's pass,
//! which would stall every other payment behind it: the pass reserves the payment for as long as
//! the call may last, and the call runs in a task of its own, which commits what the operator
//! said as any connector call does (`live.rs`). How many are open at once is bounded, in all and
//! per merchant (`--held-calls`, `--held-calls-per-merchant`), per process: a payment that finds
//! no room is looked at again a moment later, and one merchant's rush cannot take every room.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

/// How long a payment that found no room waits before it is looked at again: half a second to
/// a second and a half, at random, so that a backlog waiting for rooms is spread out rather than
/// rewritten all at once.
pub(crate) fn no_room_retry() -> Duration {
    use rand::Rng;
    Duration::from_millis(rand::thread_rng().gen_range(500..1500))
}

/// The rooms for held calls in this process.
#[derive(Debug)]
pub(crate) struct HeldCalls {
    all: usize,
    per_merchant: usize,
    open: Arc<Mutex<Open>>,
}

#[derive(Debug, Default)]
struct Open {
    total: usize,
    by_merchant: HashMap<String, usize>,
}

/// One held call's room, given back when dropped (the call ended, or its task did).
#[derive(Debug)]
pub(crate) struct Room {
    open: Arc<Mutex<Open>>,
    merchant: String,
}

impl HeldCalls {
    /// Rooms for `all` calls at once, `per_merchant` of them for any one merchant.
    pub(crate) fn new(all: usize, per_merchant: usize) -> Self {
        Self {
            all: all.max(1),
            per_merchant: per_merchant.max(1),
            open: Arc::default(),
        }
    }

    /// A room for one more of `merchant`'s calls, if there is one.
    pub(crate) fn admit(&self, merchant: &str) -> Option<Room> {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = open.by_merchant.get(merchant).copied().unwrap_or(0);
        if open.total >= self.all || mine >= self.per_merchant {
            return None;
        }
        open.total += 1;
        *open.by_merchant.entry(merchant.to_owned()).or_default() += 1;
        metrics::gauge!("kumbu_held_calls").set(open.total as f64);
        Some(Room {
            open: self.open.clone(),
            merchant: merchant.to_owned(),
        })
    }
}

impl Drop for Room {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        open.total = open.total.saturating_sub(1);
        if let Some(n) = open.by_merchant.get_mut(&self.merchant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                open.by_merchant.remove(&self.merchant);
            }
        }
        metrics::gauge!("kumbu_held_calls").set(open.total as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms_are_bounded_in_all_and_per_merchant() {
        let held = HeldCalls::new(3, 2);
        let a1 = held.admit("a").unwrap();
        let _a2 = held.admit("a").unwrap();
        assert!(held.admit("a").is_none(), "a has its two");
        let _b1 = held.admit("b").unwrap();
        assert!(held.admit("c").is_none(), "three in all");
        drop(a1);
        assert!(held.admit("c").is_some(), "a room came back");
    }
}
