//! PlexosPay's document, served at `/compat/plexospay/openapi.json`: the operations come from
//! the handlers' `#[utoipa::path]` through the face's
//! [`OpenApiRouter`](utoipa_axum::router::OpenApiRouter); here are the parts no handler owns,
//! and the vocabularies built from the face's own tables and the engine's limits.

use super::bodies::{
    CreatePaymentBody, CreateRefundBody, CreateSessionBody, CreateWebhookBody, CustomerBody,
    ItemBody, CUSTOMER_COUNTRIES, PAYMENT_AMOUNT, PAYMENT_CURRENCIES, WEBHOOK_EVENTS,
};
use super::error::{PxErrorBody, PxErrorCode, PxErrorDetail};
use super::views::{
    failure_code, operator, refund_status, session_status, status, PxCheckoutSession, PxCustomer,
    PxItem, PxList, PxPayment, PxRefund, PxWebhook, OPERATORS, SESSION_CURRENCY, WEBHOOK_STATUSES,
};
use crate::openapi::errors::ErrorAnswers;
use crate::openapi::vocab::chars::{CONTROL, PLAIN, PLAIN_CLASS};
use crate::openapi::vocab::{distinct, null, object_of};
use crate::openapi::vocab::{matching, one_of, Phone, RedirectUrl};
use crate::openapi::{finish, Auth};
use kumbu_core::{Catalogue, CheckoutStatus, FailureCode, Operator, PaymentStatus, RefundStatus};
use serde_json::Value;
use utoipa::openapi::schema::{
    AnyOfBuilder, ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat,
    Type,
};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{OpenApi as _, PartialSchema, ToSchema};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Kumbu: PlexosPay API",
        version = "1",
        description = "Mobile money payments (Cabo Verde, Angola), refunds, customers, webhooks and checkout sessions, as PlexosPay speaks them: camelCase JSON, amounts as strings of centavos, `pi_` payment ids, errors as `{\"error\": {\"message\", \"code\"}}`. Send `Idempotency-Key` on a POST to make retries safe. See docs/compat/plexospay.md."
    ),
    components(schemas(
        PxErrorBody,
        PxErrorDetail,
        PxErrorCode,
        PxPayment,
        PxRefund,
        PxCustomer,
        PxWebhook,
        PxCheckoutSession,
        PxItem,
        PxList<PxPayment>,
        PxList<PxRefund>,
        PxList<PxCustomer>,
        PxList<PxCheckoutSession>,
        PxList<PxWebhook>,
        PaymentRequest,
        PaymentCustomer,
        CustomerBody,
        CreateRefundBody,
        CreateWebhookBody,
        SessionRequest,
        ItemBody,
        PxOperatorName,
        PxOperator,
        PxPaymentCurrency,
        PxPaymentStatus,
        PxRefundStatus,
        PxFailureCode,
        PxSessionStatus,
        PxSessionCurrency,
        PxWebhookEvent,
        PxWebhookStatus,
        CustomerCountry,
        ShownMetadata,
        Centavos,
        RefundAmount,
        SessionAmount,
        UnitPrice,
        Quantity,
        SessionMinutes,
        ItemName,
        Text100,
        Text128,
        Text200,
        Text254,
        Text500,
        DateTime
    ))
)]
struct Doc;

/// The document's parts no handler owns (the router adds the operations).
pub(super) fn base() -> OpenApi {
    Doc::openapi()
}

/// Finishes the document the router collected.
pub(super) fn finished(mut doc: OpenApi) -> OpenApi {
    finish(
        &mut doc,
        "/compat/plexospay",
        "bearer",
        Auth::Bearer("`Authorization: Bearer sk_test_…` (test mode, the sandbox) or `sk_live_…`"),
        &[],
        &ErrorAnswers {
            invalid: "PxErrorBody",
            other: "PxErrorBody",
            json_bodies: true,
            rate_limited: true, // the per-key limit (--api-rate-limit)
            extra: &[],
        },
    );
    doc
}

/// A string schema.
fn text() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

/// An integer from `lo` to `hi`.
fn integer(lo: i64, hi: i64) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::Integer)
        .minimum(Some(lo))
        .maximum(Some(hi))
}

/// A decimal integer from 1 to `hi` as a string, as `str::trim` then `i64::parse` read it
/// (surrounding white space, a `+` and leading zeros are accepted).
fn positive_string(hi: i64) -> String {
    let digits = hi.to_string();
    // Below `hi`: fewer digits, any; as many digits: written out place by place.
    let shorter = match digits.len() {
        1 => String::new(),
        n => format!("[1-9][0-9]{{0,{}}}|", n - 2),
    };
    let mut same = Vec::new();
    for (i, d) in digits.bytes().enumerate() {
        let d = d - b'0';
        let first = if i == 0 { 1 } else { 0 };
        if d > first {
            let rest = digits.len() - i - 1;
            same.push(format!(
                "{}[{first}-{}][0-9]{{{rest}}}",
                &digits[..i],
                d - 1
            ));
        }
    }
    same.push(digits.clone());
    format!("^\\s*\\+?0*({shorter}{})\\s*$", same.join("|"))
}

/// Minor units as clients send them: a JSON integer or a string of one, 1 to `hi`.
fn centavos_input(description: &str, hi: i64) -> RefOr<Schema> {
    RefOr::T(Schema::OneOf(
        OneOfBuilder::new()
            .description(Some(description))
            .item(integer(1, hi))
            .item(text().pattern(Some(positive_string(hi))))
            .build(),
    ))
}

/// `schema`, or `null`.
fn nullable(schema: impl Into<RefOr<Schema>>) -> RefOr<Schema> {
    RefOr::T(Schema::OneOf(
        OneOfBuilder::new().item(null()).item(schema).build(),
    ))
}

/// The lowest and highest amount every operator in `ops` accepts, within `bounds`.
fn amount_range(ops: &[Operator], bounds: (i64, i64)) -> (i64, i64) {
    let catalogue = Catalogue::default();
    ops.iter().fold(bounds, |(lo, hi), op| {
        let info = catalogue.get(*op);
        (lo.max(info.min_amount), hi.min(info.max_amount))
    })
}

/// The operators a checkout page offers: every push operator of the session currency.
fn session_operators() -> Vec<Operator> {
    Catalogue::default().push_operators_for(SESSION_CURRENCY)
}

crate::openapi::doc_types! {
    /// The operators a payment or a customer may name.
    PxOperatorName => one_of(
        "CVMOVEL and UNITEL_TMAIS (Cabo Verde), MOCK (test mode)",
        OPERATORS.iter().map(|o| operator(*o)),
    );
    /// An operator as objects show it (payments other faces created show theirs).
    PxOperator => one_of("Operator", distinct(Operator::ALL.iter().map(|o| operator(*o))));
    /// A payment's currency.
    PxPaymentCurrency => one_of(
        "ISO 4217 code (by default the operator's currency)",
        PAYMENT_CURRENCIES.iter().map(|c| c.code()),
    );
    /// A payment's status.
    PxPaymentStatus => one_of("Payment status", distinct(PaymentStatus::ALL.iter().map(|s| status(*s).to_owned())));
    /// A refund's status.
    PxRefundStatus => one_of("Refund status", distinct(RefundStatus::ALL.iter().map(|s| refund_status(*s).to_owned())));
    /// Why a payment or refund failed.
    PxFailureCode => one_of("Failure code", distinct(FailureCode::ALL.iter().map(|c| failure_code(*c).to_owned())));
    /// A checkout session's status (one the customer cancelled is EXPIRED).
    PxSessionStatus => one_of("Session status", distinct(CheckoutStatus::ALL.iter().map(|s| session_status(*s).to_owned())));
    /// The currency a checkout page collects by phone prompt.
    PxSessionCurrency => one_of("ISO 4217 code", [SESSION_CURRENCY.code()]);
    /// An event type a PlexosPay endpoint may subscribe to.
    PxWebhookEvent => one_of("Event type", WEBHOOK_EVENTS);
    /// An endpoint's status.
    PxWebhookStatus => one_of("Endpoint status", WEBHOOK_STATUSES);
    /// A customer's country.
    CustomerCountry => one_of("ISO 3166-1 alpha-2 code", CUSTOMER_COUNTRIES);
    /// Metadata as objects show it.
    ShownMetadata => ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(text()))
        .build()
        .into();
    /// An amount as objects show it: a string of centavos.
    Centavos => text().description(Some("Centavos (minor units), as a string")).pattern(Some("^-?[0-9]+$")).build().into();
    /// A refund's amount: all that remains when absent.
    RefundAmount => centavos_input(
        "Centavos, a positive integer or a string of one, at most what remains to refund",
        i64::MAX,
    );
    /// A checkout session's amount, within every offered operator's limits.
    SessionAmount => {
        // From 1: every operator a page offers takes 1 centavo (checked in the tests below).
        let (_, hi) = amount_range(&session_operators(), (1, i64::MAX));
        centavos_input("Centavos, an integer or a string of one", hi)
    };
    /// A line item's unit price: no item can cost more than a session may.
    UnitPrice => {
        let (_, hi) = amount_range(&session_operators(), (1, i64::MAX));
        centavos_input("Centavos, an integer or a string of one; quantity × unitPrice summed over the items is the session's amount", hi)
    };
    /// How many of a line item.
    Quantity => integer(1, MAX_QUANTITY).description(Some("1 by default")).build().into();
    /// How long a checkout page accepts payment.
    SessionMinutes => {
        let (lo, default, hi) = kumbu_engine::EXPIRY_MINUTES;
        integer(i64::from(lo), i64::from(hi)).description(Some(format!("Minutes, {default} by default"))).build().into()
    };
    /// A line item's name: not blank.
    ItemName => text()
        .min_length(Some(1))
        .max_length(Some(200))
        .pattern(Some(format!("^[^{PLAIN_CLASS}]*[^\\s{CONTROL}][^{PLAIN_CLASS}]*$")))
        .build()
        .into();
    /// Text of at most 100 characters, no control characters but tabs and line breaks.
    Text100 => text().max_length(Some(100)).pattern(Some(PLAIN)).build().into();
    /// Text of 1 to 128 characters, no control characters but tabs and line breaks.
    Text128 => text().min_length(Some(1)).max_length(Some(128)).pattern(Some(PLAIN)).build().into();
    /// Text of at most 200 characters, no control characters but tabs and line breaks.
    Text200 => text().max_length(Some(200)).pattern(Some(PLAIN)).build().into();
    /// Text of at most 254 characters, no control characters but tabs and line breaks.
    Text254 => text().max_length(Some(254)).pattern(Some(PLAIN)).build().into();
    /// Text of at most 500 characters, no control characters but tabs and line breaks.
    Text500 => text().max_length(Some(500)).pattern(Some(PLAIN)).build().into();
    /// An instant.
    DateTime => text().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))).build().into();
}

use kumbu_engine::{MAX_ITEMS, MAX_QUANTITY};

/// `POST /v1/payments`'s body: one shape per operator, since each operator takes its own
/// country's numbers, its own currencies and amounts within its limits.
pub(super) struct PaymentRequest;

impl PartialSchema for PaymentRequest {
    fn schema() -> RefOr<Schema> {
        let catalogue = Catalogue::default();
        let mut variants = OneOfBuilder::new().description(Some(
            "A payment request: the phone must be a number of the operator's country, the currency one the operator collects",
        ));
        for op in OPERATORS {
            let info = catalogue.get(op);
            let mut o = object_of::<CreatePaymentBody>();
            o.title = Some(operator(op));
            o.description = Some(format!("A payment through {}", info.name));
            o.properties
                .insert("operator".to_owned(), one_of_words(&[operator(op)]));
            let phone: RefOr<Schema> = match info.country {
                Some(c) => matching(
                    &format!(
                        "A {} number in E.164 form, e.g. {}",
                        c.code(),
                        c.example_phone()
                    ),
                    format!(
                        "^\\+{}({})$",
                        c.dial_code(),
                        c.national_lengths()
                            .iter()
                            .map(|n| format!("[0-9]{{{n}}}"))
                            .collect::<Vec<_>>()
                            .join("|")
                    ),
                ),
                None => Phone::schema(),
            };
            o.properties.insert("operatorPhone".to_owned(), phone);
            let currencies: Vec<&str> = PAYMENT_CURRENCIES
                .iter()
                .filter(|c| info.currencies.contains(c))
                .map(|c| c.code())
                .collect();
            o.properties.insert(
                "currency".to_owned(),
                nullable(one_of(
                    "ISO 4217 code (by default the operator's)",
                    currencies,
                )),
            );
            let (lo, hi) = amount_range(&[op], PAYMENT_AMOUNT);
            o.properties.insert(
                "amount".to_owned(),
                integer(lo, hi)
                    .description(Some("Centavos (minor units)"))
                    .build()
                    .into(),
            );
            variants = variants.item(Schema::Object(o));
        }
        RefOr::T(Schema::OneOf(variants.build()))
    }
}
impl ToSchema for PaymentRequest {}

fn one_of_words(words: &[String]) -> RefOr<Schema> {
    text().enum_values(Some(words.to_vec())).build().into()
}

/// `POST /v1/checkout/sessions`'s body: an amount, line items, or both if they agree,
/// and a URL to send the customer to (`completionUrl`, or `returnUrl` when absent).
pub(super) struct SessionRequest;

impl PartialSchema for SessionRequest {
    fn schema() -> RefOr<Schema> {
        let url = || RedirectUrl::schema_ref();
        let mut any_of = AnyOfBuilder::new().description(Some(
            "An amount, line items (the sum of their quantity × unitPrice is the amount, within the operators' limits) or both if they agree; `completionUrl` or `returnUrl`",
        ));
        for by_items in [false, true] {
            for completion in [true, false] {
                let mut o = object_of::<CreateSessionBody>();
                if by_items {
                    o.title = Some(format!(
                        "Line items, {}",
                        if completion {
                            "completionUrl"
                        } else {
                            "returnUrl only"
                        }
                    ));
                    o.required.push("items".to_owned());
                    o.properties.insert(
                        "items".to_owned(),
                        ArrayBuilder::new()
                            .items(ItemBody::schema_ref())
                            .min_items(Some(1))
                            .max_items(Some(MAX_ITEMS))
                            .build()
                            .into(),
                    );
                    o.properties.insert("amount".to_owned(), null());
                } else {
                    o.title = Some(format!(
                        "An amount (line items, if any, must add up to it), {}",
                        if completion {
                            "completionUrl"
                        } else {
                            "returnUrl only"
                        }
                    ));
                    o.required.push("amount".to_owned());
                    o.properties
                        .insert("amount".to_owned(), SessionAmount::schema_ref());
                    o.properties.insert(
                        "items".to_owned(),
                        nullable(
                            ArrayBuilder::new()
                                .items(ItemBody::schema_ref())
                                .max_items(Some(MAX_ITEMS)),
                        ),
                    );
                }
                if completion {
                    o.required.push("completionUrl".to_owned());
                    o.properties.insert("completionUrl".to_owned(), url());
                } else {
                    o.required.push("returnUrl".to_owned());
                    o.properties.insert("returnUrl".to_owned(), url());
                    o.properties.insert("completionUrl".to_owned(), null());
                }
                any_of = any_of.item(Schema::Object(o));
            }
        }
        RefOr::T(Schema::AnyOf(any_of.build()))
    }
}
impl ToSchema for SessionRequest {}

/// A reference to a named schema.
trait SchemaRef: ToSchema {
    fn schema_ref() -> RefOr<Schema> {
        RefOr::Ref(utoipa::openapi::Ref::from_schema_name(Self::name()))
    }
}
impl<T: ToSchema> SchemaRef for T {}

/// The `customer` of a payment request: its name and email are kept with the payment; its
/// other fields are read and ignored.
#[expect(
    dead_code,
    reason = "only its schema is used: the document describes what the face reads and ignores"
)]
#[derive(ToSchema)]
pub(super) struct PaymentCustomer {
    /// Ignored (the payment's `operatorPhone` is prompted).
    phone: Option<String>,
    /// Ignored (the payment's `operator` is used).
    operator: Option<String>,
    /// Ignored.
    country: Option<String>,
    #[schema(value_type = Option<Text200>)]
    name: Option<String>,
    #[schema(value_type = Option<Text254>)]
    email: Option<String>,
    /// Ignored (any JSON).
    metadata: Option<Value>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_amounts_start_at_one() {
        assert_eq!(amount_range(&session_operators(), (1, i64::MAX)).0, 1);
    }

    #[test]
    fn positive_strings_stop_at_their_bound() {
        assert_eq!(
            positive_string(100_000_000),
            "^\\s*\\+?0*([1-9][0-9]{0,7}|100000000)\\s*$"
        );
        assert_eq!(
            positive_string(250),
            "^\\s*\\+?0*([1-9][0-9]{0,1}|[1-1][0-9]{2}|2[0-4][0-9]{1}|250)\\s*$"
        );
        assert_eq!(positive_string(7), "^\\s*\\+?0*([1-6][0-9]{0}|7)\\s*$");
    }
}
