//! Rails: how money moves. The sandbox simulator (a real rail that test-mode payments go to) and
//! the connectors to real operators, behind one trait, [`connector::Connector`].
//!
//! The engine asks a rail to carry out a payment's *next action*: the sandbox plays the next step
//! of its script ([`Simulator::play`]), a connector calls the operator (initiate, or query the
//! status). Either way the rail answers with an [`Advance`]: what the operator said, as
//! [`Notice`]s, and when to look again. The engine applies the notices through the core's state machine, which is what makes
//! duplicate, late and out-of-order news harmless. A callback from an operator is never applied
//! as it is: it only makes the payment due, so that its rail is asked.
//!
//! Layout: one folder per operator protocol (`mtn_momo/`), holding its connector, wire types,
//! client and a simulator of the operator's own API; `connector/` the trait and what every
//! connector shares (an HTTP client with timeouts, a token cache, how an unknown outcome is told
//! from a refusal); `registry.rs` the one place that lists the connectors; `simulator.rs` and
//! `directory.rs` the sandbox.

pub mod connector;
pub mod directory;
pub mod mpesa_mz;
pub mod mtn_momo;
pub mod orange_money;
pub mod proxypay;
pub mod registry;
mod sim_http;
mod simulator;
pub mod wave;

pub use registry::{OperatorUrls, Registry, Setup};
pub use simulator::{operator_reference, payout_outcome, Scenario, Simulator};

use kumbu_core::FailureCode;
use std::time::Duration;

/// What an operator tells us about a payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// The operator accepted the request; its transaction id.
    Accepted {
        /// Operator transaction id.
        operator_reference: String,
    },
    /// The payer has the prompt on their phone.
    Prompted,
    /// Money left the payer's wallet.
    Debited,
    /// The operator settled the money to us.
    Settled,
    /// The operator refused or failed the payment.
    Failed {
        /// Our code.
        code: FailureCode,
        /// The operator's own code, kept beside ours.
        operator_code: String,
    },
}

/// How a step reaches us: it changes the reason written in the payment's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// The operator called us back.
    Callback,
    /// We asked the operator for the status because it went silent.
    Poll,
    /// The operator answered our request (a connector's initiation).
    Request,
}

impl Via {
    /// The reason recorded in history.
    pub const fn reason(self) -> &'static str {
        match self {
            Via::Callback => "operator callback",
            Via::Poll => "status poll",
            Via::Request => "operator response",
        }
    }
}

/// One step of the sandbox's script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepKind {
    /// Apply these notices, in order.
    Notices(Via, Vec<Notice>),
    /// Nothing happens until a person answers the prompt (sandbox `…009`).
    AwaitPerson,
}

/// A step and how long after the previous one it happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Delay after the previous step.
    pub after: Duration,
    /// What happens.
    pub kind: StepKind,
}

/// When the engine should next ask the rail about a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// After this long.
    After(Duration),
    /// Not until a person answers a prompt (the sandbox phone).
    AwaitPerson,
    /// Never: the rail has nothing more to say (only the payment's expiry remains).
    Done,
}

/// What a rail did for a payment: what the operator said, and when to ask again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Advance {
    /// How the news reached us (written in the payment's history).
    pub via: Via,
    /// The operator's news, in order; empty when nothing is known yet.
    pub notices: Vec<Notice>,
    /// The rail's own bookkeeping for the payment after this action (`RailProgress::step`).
    pub step: u32,
    /// When to ask again.
    pub next: Next,
    /// The connector's new memo for the payment (what it made at the operator: a payment
    /// page's ids and URL), written with the payment; `None` keeps the one it has.
    pub memo: Option<String>,
}

impl Advance {
    /// The operator failed the payment (or it never reached the operator and cannot): our
    /// code and the operator's, nothing more to ask; the step made odd, as a sent request's.
    pub fn failed(via: Via, step: u32, code: FailureCode, operator_code: &str) -> Self {
        Self {
            via,
            notices: vec![Notice::Failed {
                code,
                operator_code: operator_code.to_owned(),
            }],
            step: step | 1,
            next: Next::Done,
            memo: None,
        }
    }

    /// The operator took the request and knows the payment by `reference`: ask again after
    /// `after`, at the next step, keeping `memo` (what was made at the operator) if any.
    pub fn accepted(reference: &str, step: u32, after: Duration, memo: Option<String>) -> Self {
        Self {
            via: Via::Request,
            notices: vec![Notice::Accepted {
                operator_reference: reference.to_owned(),
            }],
            step: step + 1,
            next: Next::After(after),
            memo,
        }
    }

    /// A request whose outcome never committed, at the odd `step`: nothing to ask about, so go
    /// on at once to the next step (a new page or payToken, which nobody else has).
    pub fn next_attempt(step: u32) -> Self {
        Self {
            via: Via::Request,
            notices: Vec::new(),
            step: step + 1,
            next: Next::After(Duration::ZERO),
            memo: None,
        }
    }

    /// Nothing learnt; ask again after `after`, with the rail's bookkeeping at `step`.
    pub fn wait(step: u32, after: Duration) -> Self {
        Self {
            via: Via::Poll,
            notices: Vec::new(),
            step,
            next: Next::After(after),
            memo: None,
        }
    }
}
