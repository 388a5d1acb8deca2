//! Orange Money. Its Web Payment client ([`client`], [`wire`]: tokens, payment pages, their
//! status), proved against its simulator ([`simulator`]: Orange's Web Payment API, the redirect
//! flow of Côte d'Ivoire, Cameroon and Orange's other markets, as a local server with the
//! payer's page a browser test can click through, and Cameroon's prompt API). The connector
//! that carries live payments through them follows (issue 24).
//!
//! Sources: `../shared/reference/connectors.md` §1.2 (WebPay), §2 (PyPI `o-money`), §4
//! (`notif_token`, resolving unknown outcomes).

pub mod client;
pub mod simulator;
pub mod wire;
