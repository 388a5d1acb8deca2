//! Orange Money. Today its simulator ([`simulator`]): Orange's Web Payment API ("WebPay", the
//! redirect flow of Côte d'Ivoire, Cameroon and Orange's other markets) as a local server, with
//! the payer's page that a browser test can click through. The connector follows (issue 24).
//!
//! Sources: `../shared/reference/connectors.md` §1.2 (WebPay), §2 (PyPI `o-money`), §4
//! (`notif_token`, resolving unknown outcomes).

pub mod simulator;
