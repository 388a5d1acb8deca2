//! What the connectors whose payers pay on the operator's own page share (Orange's Web Payment
//! pages, Wave's checkout sessions): where a payment stands between its pages. Attempt `k`
//! makes its page at step `2k` and asks about it at `2k + 1`; the page's ids live in the
//! connector's memo, with the attempt they were made at.

use kumbu_core::{Payment, Timestamp};

/// What a page-flow payment's next action is.
#[derive(Debug)]
pub(crate) enum PageStep<M> {
    /// Its memo is another version's: never guess (a new page could be paid twice); wait for a
    /// version that reads it.
    Unreadable,
    /// Ask about the page of this attempt (odd step, its memo at hand).
    Ask(M),
    /// No payer has a page of this attempt and the deadline has passed: none ever will.
    Expired,
    /// Odd, yet no page of this attempt was recorded (its making never committed): nobody has
    /// its URL, so go on to the next attempt.
    NextAttempt,
    /// Make the page of `attempt` (even step).
    Make {
        /// `step / 2`.
        attempt: u32,
    },
}

/// Where `p` stands, its memo read with `read` (`None`: not a memo this version writes) and
/// `attempt_of` telling which attempt a memo's page belongs to.
pub(crate) fn page_step<M>(
    p: &Payment,
    now: Timestamp,
    read: impl FnOnce(Option<&str>) -> Option<M>,
    attempt_of: impl FnOnce(&M) -> u32,
) -> PageStep<M> {
    let step = p.progress.step;
    let attempt = step / 2;
    let memo = read(p.rail_memo.as_deref());
    if memo.is_none() && p.rail_memo.is_some() {
        return PageStep::Unreadable;
    }
    let memo = memo.filter(|m| attempt_of(m) == attempt);
    match (step.is_multiple_of(2), memo) {
        (false, Some(memo)) => PageStep::Ask(memo),
        (_, None) if now >= p.expires_at => PageStep::Expired,
        (false, None) => PageStep::NextAttempt,
        (true, _) => PageStep::Make { attempt },
    }
}
