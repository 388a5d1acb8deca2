//! The simulated M-Pesa's memory: transactions by third-party reference (C2B, B2C, reversals),
//! the merchant's balance, faults and counters. Kept in process memory (a restart forgets it).

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::sync::Arc;
use tokio::sync::Notify;

/// What a transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A payer pays the merchant.
    C2b,
    /// The merchant pays a customer.
    B2c,
    /// A C2B payment given back.
    Reversal,
}

/// Where a transaction stands, in the query API's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TxStatus {
    /// The payer has the prompt.
    Pending,
    /// Done.
    Completed,
    /// The payer refused.
    Cancelled,
    /// The payer never answered.
    Expired,
    /// It failed.
    Failed,
}

impl TxStatus {
    /// The query API's word.
    pub const fn word(self) -> &'static str {
        match self {
            TxStatus::Pending => "Pending",
            TxStatus::Completed => "Completed",
            TxStatus::Cancelled => "Cancelled",
            TxStatus::Expired => "Expired",
            TxStatus::Failed => "Failed",
        }
    }
}

/// One transaction.
#[derive(Debug, Clone)]
pub struct Txn {
    /// What it is.
    pub kind: Kind,
    /// `input_ThirdPartyReference`.
    pub reference: String,
    /// M-Pesa's id.
    pub transaction_id: String,
    /// The exchange's id.
    pub conversation_id: String,
    /// The customer's number.
    pub msisdn: String,
    /// Centavos.
    pub amount: i64,
    /// Where it stands.
    pub status: TxStatus,
    /// The code its answer carries once decided.
    pub code: &'static str,
    /// Centavos reversed so far (C2B).
    pub reversed: i64,
    /// Wakes the call waiting for the payer.
    pub decided: Arc<Notify>,
}

/// Faults to inject.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Faults {
    /// Milliseconds added to every answer.
    pub latency_ms: u64,
    /// The next N requests (any operation) answer 500 `INS-1`, having done nothing.
    pub fail_next: u32,
    /// The next N C2B or B2C requests are carried out, but their answer is held until the
    /// caller gives up (a timeout: the outcome is unknown to it).
    pub hang_next: u32,
    /// The next N C2B or B2C requests are carried out, but answered 409 `INS-10`, as a retry
    /// whose first try got through would be.
    pub duplicate_next: u32,
    /// The next request (any operation) is answered with this `INS-…` code and its HTTP status,
    /// having done nothing: any code M-Pesa documents, on demand.
    pub code_next: Option<String>,
}

/// Counters, for tests and `GET /_simulator/stats`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// C2B requests received (duplicates and refused ones included).
    pub c2b_requests: u64,
    /// C2B transactions registered (one per third-party reference).
    pub c2b_registered: u64,
    /// Requests answered `INS-10`.
    pub duplicates: u64,
    /// B2C requests received (duplicates and refused ones included).
    pub b2c_requests: u64,
    /// Reversals registered.
    pub reversals: u64,
    /// Status queries.
    pub queries: u64,
    /// Requests whose Bearer did not open to an accepted API key.
    pub auth_failures: u64,
    /// C2B calls open now (waiting for their payer).
    pub open_calls: u64,
    /// The most C2B calls open at once.
    pub max_open_calls: u64,
    /// Transactions completed.
    pub completed: u64,
}

/// The whole state.
#[derive(Debug, Default)]
pub struct State {
    /// By third-party reference.
    pub txns: HashMap<String, Txn>,
    /// Third-party reference by transaction id and by conversation id.
    pub ids: HashMap<String, String>,
    /// The merchant's balance, centavos.
    pub balance: i64,
    /// Faults in force.
    pub faults: Faults,
    /// Counters.
    pub stats: Stats,
}

impl State {
    /// The transaction a query names: by third-party reference, transaction id or conversation
    /// id.
    pub fn find(&self, any: &str) -> Option<&Txn> {
        self.txns
            .get(any)
            .or_else(|| self.ids.get(any).and_then(|r| self.txns.get(r)))
    }

    /// Registers `txn`.
    pub fn insert(&mut self, txn: Txn) {
        self.ids
            .insert(txn.transaction_id.clone(), txn.reference.clone());
        self.ids
            .insert(txn.conversation_id.clone(), txn.reference.clone());
        self.txns.insert(txn.reference.clone(), txn);
    }

    /// Decides a pending transaction (later decisions of a decided one are ignored): its status
    /// and answer code; a completed C2B credits the balance.
    pub fn decide(&mut self, reference: &str, status: TxStatus, code: &'static str) {
        let Some(t) = self.txns.get_mut(reference) else {
            return;
        };
        if t.status != TxStatus::Pending {
            return;
        }
        t.status = status;
        t.code = code;
        if status == TxStatus::Completed {
            self.stats.completed += 1;
            if t.kind == Kind::C2b {
                self.balance += t.amount;
            }
        }
        t.decided.notify_one();
    }
}
