//! Wave. Today its webhook signature ([`signature`], which the connector will check) and its
//! simulator ([`simulator`]): Wave's Checkout API (a session, the payer's hand-over to
//! `wave_launch_url`), payouts with `idempotency-key`, and signed webhooks. The connector follows
//! (issue 24).
//!
//! Sources: `../shared/reference/connectors.md` §1.4 (Checkout, Payout, Webhooks), §2 (PyPI
//! `wave-business-api`), §4.

pub mod signature;
pub mod simulator;
