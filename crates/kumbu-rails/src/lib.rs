//! Rails: how money moves. For now the sandbox simulator, a real rail that test-mode payments go
//! to; real operator connectors will sit beside it behind the same [`Rail`] seam.
//!
//! A rail is described to the engine as a *script*: a sequence of timed steps, each either a
//! batch of operator notices (as callbacks would bring them), a status poll, or a wait for a
//! person. The engine's worker runs due steps and applies what they say through the core's state
//! machine, which is what makes duplicate and out-of-order notices harmless.

pub mod directory;
mod simulator;

pub use simulator::{Scenario, Simulator};

use kumbu_core::{FailureCode, Payment};
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
}

impl Via {
    /// The reason recorded in history.
    pub const fn reason(self) -> &'static str {
        match self {
            Via::Callback => "operator callback",
            Via::Poll => "status poll",
        }
    }
}

/// One step of a rail's script.
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

/// A way of moving money, seen from the engine.
pub trait Rail: Send + Sync + std::fmt::Debug {
    /// Step number `index` of this payment's script, or `None` when the script is over.
    fn step(&self, payment: &Payment, index: u32) -> Option<Step>;
}
