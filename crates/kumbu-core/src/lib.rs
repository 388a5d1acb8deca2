//! Kumbu's domain: the types and rules that hold money, with no I/O.
//!
//! Everything here is pure so that the engine, the store and every HTTP face agree on one meaning
//! of an amount, a status or an error. Faces translate *to* these types; they never re-implement
//! them.

pub mod balance;
pub mod checkout;
pub mod clock;
pub mod collection;
pub mod customer;
pub mod error_code;
pub mod erv;
pub mod face;
pub mod failure;
pub mod fees;
pub mod ids;
pub mod ingest;
pub mod ledger;
pub mod lfsr;
pub mod meps;
pub mod mode;
pub mod money;
pub mod multicaixa;
pub mod nib;
pub mod operator;
pub mod payment;
pub mod payout;
pub mod period;
pub mod person;
pub mod phone;
pub mod reference;
pub mod refund;
pub mod rejection;
pub mod totp;

pub use balance::{BalanceTransaction, BalanceType, Movement, StatementLine};
pub use checkout::{Attempt, CheckoutSession, CheckoutStatus, LineItem, Locale};
pub use clock::{Clock, ManualClock, SystemClock, Timestamp};
pub use collection::{
    CollectionBalance, CollectionMethod, CollectionRequest, CollectionStatus, ErvDetails,
    Judgement, Payer,
};
pub use customer::Customer;
pub use error_code::{ErrorCode, ErrorType};
pub use erv::{Entity, ErvReference};
pub use face::Face;
pub use failure::FailureCode;
pub use fees::{Direction, FeeSchedule, Price, RefundFee};
pub use ids::{new_id, IdPrefix};
pub use ingest::{
    Decision, ExternalStatus, IngestedPayment, MatchOutcome, MethodDetails, Resolution,
};
pub use mode::Mode;
pub use money::{Currency, MoneyError, Rounding};
pub use multicaixa::{BankPayment, Period, TerminalType};
pub use nib::Nib;
pub use operator::{Catalogue, Country, Operator, OperatorInfo, RailKind};
pub use payment::{Payment, PaymentStatus, RecordDetails, StatusChange, TransitionError};
pub use payout::{Payout, PayoutStatus};
pub use person::{Action, Role};
pub use phone::{Msisdn, PhoneError};
pub use reference::{Reference, ReferenceStatus};
pub use refund::{Refund, RefundStatus};
pub use rejection::{Field, Rejection};
