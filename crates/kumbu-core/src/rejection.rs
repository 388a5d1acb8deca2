//! A refusal the client can act on: an error code, a message, and the domain field at fault.
//! Faces render it in their own envelope and translate [`Field`] to their own parameter names.

use crate::error_code::ErrorCode;
use std::fmt;

/// A domain field a rule can refuse. Each face maps these to its own wire names
/// (the native API's `payer.phone` is PlexosPay's `operatorPhone`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// The amount.
    Amount,
    /// The currency.
    Currency,
    /// The operator.
    Operator,
    /// The payer's phone.
    PayerPhone,
    /// The merchant's reference.
    Reference,
    /// The description.
    Description,
    /// The metadata map.
    Metadata,
    /// The customer's name.
    CustomerName,
    /// The customer's email.
    CustomerEmail,
    /// Seconds until expiry.
    ExpiresIn,
    /// The Idempotency-Key header.
    IdempotencyKey,
    /// An object id in the path.
    Id,
    /// An event type filter.
    EventType,
    /// A webhook endpoint URL.
    Url,
    /// The event types an endpoint subscribes to.
    Events,
    /// Most deliveries an endpoint may have in flight at once.
    MaxConcurrency,
    /// A bank reference's id.
    ReferenceId,
    /// A bank reference's end date or date-time.
    EndDatetime,
    /// A bank reference's custom fields.
    CustomFields,
    /// The statement descriptor.
    StatementDescriptor,
    /// A customer id.
    CustomerId,
    /// A customer's country.
    Country,
    /// Where the customer goes after paying.
    ReturnUrl,
    /// Where the customer goes after cancelling.
    CancelUrl,
    /// A checkout session's line items.
    Items,
    /// The operators a checkout session offers.
    Operators,
    /// A page's language.
    Locale,
    /// The payer's account in the merchant's books (a payment record's `account_id`).
    AccountId,
    /// A collection request id.
    CollectionRequestId,
    /// The provider a payment record names.
    ProviderId,
    /// The channel a payment record names.
    Channel,
    /// A status given by the caller (a payment record's, an ingested payment's).
    Status,
    /// A page token.
    PageToken,
    /// A page size.
    PageSize,
    /// Who reported an ingested payment.
    Source,
    /// The source's own id for an ingested payment.
    ExternalId,
    /// When the source processed a payment.
    ProcessedAt,
    /// A SIMO entity.
    EntityNumber,
    /// A SIMO/ERV reference.
    ReferenceNumber,
    /// A bank account number (NIB).
    Nib,
    /// Who a collection request bills.
    Payer,
    /// When a collection request falls due.
    DueDate,
    /// The ways a collection request may be paid.
    Methods,
    /// The merchant's own reference for a collection request.
    ThirdPartyReference,
    /// A person's decision on a reconciliation exception.
    Resolution,
    /// A calendar day.
    Date,
    /// How a reported payment was paid (`SIMO_ERV`, `INTERBANK`).
    MethodType,
    /// A person's note on a decision.
    Note,
    /// A collection request's SIMO/ERV reference.
    ErvReference,
    /// An operator's name for the market (MTN's `X-Target-Environment`).
    TargetEnvironment,
    /// The callback host registered with an operator.
    CallbackHost,
    /// An operator's collection keys.
    CollectionKeys,
    /// An operator's disbursement keys.
    DisbursementKeys,
    /// The number a payout goes to.
    PayeePhone,
    /// One of a connector's own settings, by its name in the API (`web_payment`, `api_key`, …).
    ConnectorSetting(&'static str),
    /// A person's e-mail address.
    Email,
    /// A person's password.
    Password,
    /// A person's role.
    Role,
    /// A second-factor code (TOTP or recovery code).
    Code,
}

/// A 4xx decision: what went wrong, in words, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// The stable code (fixes type and HTTP status).
    pub code: ErrorCode,
    /// A sentence that says what to do.
    pub message: String,
    /// The field at fault, if one is.
    pub field: Option<Field>,
}

impl Rejection {
    /// A rejection about one field.
    pub fn field(code: ErrorCode, field: Field, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: Some(field),
        }
    }

    /// A rejection about the request as a whole.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
        }
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code.code(), self.message)
    }
}

impl std::error::Error for Rejection {}
