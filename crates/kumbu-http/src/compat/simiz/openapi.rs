//! Simiz's document, served at `/compat/simiz/openapi.json`: the operations come from the
//! handlers' `#[utoipa::path]` through the face's
//! [`OpenApiRouter`](utoipa_axum::router::OpenApiRouter); here are the parts no handler owns,
//! and the vocabularies built from the face's own tables and the engine's limits.

use super::bodies::{
    CreatePaymentBody, CreateRefundBody, CreateSessionBody, CreateWebhookBody, SessionCustomer,
};
use super::error::{SmzErrorBody, SmzErrorCode, SmzErrorDetail};
use super::views::{
    payment_method, refund_status, session_method, session_status, status, SmzPayment, SmzRefund,
    SmzSession, SmzWebhook, EVENTS, SESSION_OBJECT, WEBHOOK_STATUSES,
};
use super::{SmzList, CURRENCIES, MIN_AMOUNT};
use crate::openapi::errors::ErrorAnswers;
use crate::openapi::vocab::chars::PLAIN;
use crate::openapi::vocab::{distinct, null, object_of};
use crate::openapi::vocab::{matching, one_of, FaceMetadata};
use crate::openapi::{finish, Auth};
use kumbu_core::{Catalogue, CheckoutStatus, Currency, Operator, PaymentStatus, RefundStatus};
use utoipa::openapi::schema::{
    KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{OpenApi as _, PartialSchema, ToSchema};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Kumbu: Simiz API",
        version = "1",
        description = "Hosted payments in Cameroon and Côte d'Ivoire (XAF, XOF), checkout sessions, refunds and webhooks, as Simiz speaks them: camelCase JSON, whole-franc amounts, UUID ids and `pay_` tokens, errors as `{\"error\": {\"code\", \"message\", \"param\"}}`. A payment is paid on Kumbu's page (`paymentUrl`). Send `Idempotency-Key` on a POST to make retries safe. See docs/compat/simiz.md."
    ),
    components(schemas(
        SmzErrorBody,
        SmzErrorDetail,
        SmzErrorCode,
        SmzPayment,
        SmzSession,
        SmzRefund,
        SmzWebhook,
        SmzList<SmzPayment>,
        SmzList<SmzWebhook>,
        PaymentRequest,
        SessionRequest,
        SessionCustomer,
        CreateRefundBody,
        CreateWebhookBody,
        SmzCurrency,
        SmzPaymentStatus,
        SmzSessionStatus,
        SmzPaymentMethod,
        SmzSessionMethod,
        SmzRefundStatus,
        SmzEvent,
        SmzWebhookStatus,
        SessionObject,
        UserId,
        PaymentMetadata,
        RefundAmount,
        SessionMinutes,
        ShownMetadata,
        Text200,
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
        "/compat/simiz",
        "bearer",
        Auth::Bearer(
            "`Authorization: Bearer smz_test_sk_…` (test mode, the sandbox) or `smz_live_sk_…`: Kumbu's key `sk_test_X` is the Simiz key `smz_test_sk_X` (the `sk_test_…` form is accepted too)",
        ),
        &[],
        &ErrorAnswers {
            invalid: "SmzErrorBody",
            other: "SmzErrorBody",
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

/// Every (session status, latest attempt's status) a session can be in.
fn session_states() -> impl Iterator<Item = (CheckoutStatus, Option<PaymentStatus>)> {
    CheckoutStatus::ALL.into_iter().flat_map(|s| {
        std::iter::once(None)
            .chain(PaymentStatus::ALL.into_iter().map(Some))
            .map(move |a| (s, a))
    })
}

/// The lowest and highest amount of `currency` every operator its page offers accepts, from
/// `lo` up.
fn amount_range(currency: Currency, lo: i64) -> (i64, i64) {
    let catalogue = Catalogue::default();
    catalogue
        .push_operators_for(currency)
        .iter()
        .fold((lo, i64::MAX), |(lo, hi), op| {
            let info = catalogue.get(*op);
            (lo.max(info.min_amount), hi.min(info.max_amount))
        })
}

/// One shape of `T` per Simiz currency: each page offers that currency's operators, within
/// whose limits the amount must be (from `lo` up). The default currency may be left out.
fn per_currency<T: PartialSchema>(description: &str, lo: i64) -> RefOr<Schema> {
    let mut variants = OneOfBuilder::new().description(Some(description));
    for (i, c) in CURRENCIES.into_iter().enumerate() {
        let mut o = object_of::<T>();
        let (lo, hi) = amount_range(c, lo);
        let names: Vec<&str> = {
            let catalogue = Catalogue::default();
            distinct(
                catalogue
                    .push_operators_for(c)
                    .into_iter()
                    .map(|op| catalogue.get(op).name),
            )
        };
        o.title = Some(c.code().to_owned());
        o.description = Some(format!("In {}, paid with {}", c.code(), names.join(", ")));
        o.properties.insert(
            "amount".to_owned(),
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .description(Some("Whole francs (`5000` and `5000.0` are the same)"))
                .minimum(Some(lo))
                .maximum(Some(hi))
                .build()
                .into(),
        );
        let code = one_of("ISO 4217 code", [c.code()]);
        if i == 0 {
            o.properties.insert(
                "currency".to_owned(),
                RefOr::T(Schema::OneOf(
                    OneOfBuilder::new().item(null()).item(code).build(),
                )),
            );
        } else {
            o.properties.insert("currency".to_owned(), code);
            o.required.push("currency".to_owned());
        }
        variants = variants.item(Schema::Object(o));
    }
    RefOr::T(Schema::OneOf(variants.build()))
}

/// `POST /v1/payments`'s body: one shape per currency.
pub(super) struct PaymentRequest;

impl PartialSchema for PaymentRequest {
    fn schema() -> RefOr<Schema> {
        per_currency::<CreatePaymentBody>(
            "A payment: whole francs, at least the smallest Simiz payment and within the limits of every operator of the currency",
            MIN_AMOUNT,
        )
    }
}
impl ToSchema for PaymentRequest {}

/// `POST /v1/projects/{projectId}/checkout/sessions`'s body: one shape per currency.
pub(super) struct SessionRequest;

impl PartialSchema for SessionRequest {
    fn schema() -> RefOr<Schema> {
        per_currency::<CreateSessionBody>(
            "A checkout session: whole francs within the limits of every operator of the currency",
            1,
        )
    }
}
impl ToSchema for SessionRequest {}

crate::openapi::doc_types! {
    /// A payment's currency.
    SmzCurrency => one_of("ISO 4217 code (XAF by default)", CURRENCIES.iter().map(|c| c.code()));
    /// A payment's status, from its session and latest attempt.
    SmzPaymentStatus => one_of("Payment status", distinct(session_states().map(|(s, a)| status(s, a))));
    /// A checkout session's status, from the session and its latest attempt.
    SmzSessionStatus => one_of("Session status", distinct(session_states().map(|(s, a)| session_status(s, a))));
    /// How a payment was paid (Simiz's payment enum knows two operators).
    SmzPaymentMethod => one_of("Payment method", distinct(Operator::ALL.into_iter().map(payment_method)));
    /// How a checkout session may be paid.
    SmzSessionMethod => one_of("Payment method", distinct(Operator::ALL.into_iter().filter_map(session_method)));
    /// A refund's status.
    SmzRefundStatus => one_of("Refund status", distinct(RefundStatus::ALL.into_iter().map(refund_status)));
    /// An event type a Simiz endpoint may subscribe to.
    SmzEvent => one_of("Event type", EVENTS);
    /// An endpoint's status.
    SmzWebhookStatus => one_of("Endpoint status", WEBHOOK_STATUSES);
    /// What a checkout session object is.
    SessionObject => one_of("Object type", [SESSION_OBJECT]);
    /// A user id: a UUID, as `uuid::Uuid::parse_str` reads it.
    UserId => {
        let hyphenated = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}";
        matching(
            "A UUID, e.g. 550e8400-e29b-41d4-a716-446655440000 (also read: 32 hex digits, {braced}, urn:uuid:)",
            format!("^([0-9a-fA-F]{{32}}|{hyphenated}|\\{{{hyphenated}\\}}|[uU][rR][nN]:[uU][uU][iI][dD]:{hyphenated})$"),
        )
    };
    /// A payment's metadata: `simiz_user_id` is added to it, so it holds one key fewer.
    PaymentMetadata => {
        let mut o = object_of::<FaceMetadata>();
        let most = o.max_properties.map_or(0, |n| n - 1);
        o.max_properties = Some(most);
        o.description = Some(format!("At most {most} keys (`simiz_user_id` is added) of 1 to 40 characters; values are strings of at most 500 characters, numbers or booleans (kept as text)"));
        RefOr::T(Schema::Object(o))
    };
    /// A refund's amount: all that remains when absent.
    RefundAmount => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some("Whole francs, at most what remains to refund"))
        .minimum(Some(1))
        .maximum(Some(i64::MAX))
        .build()
        .into();
    /// How long a checkout page accepts payment.
    SessionMinutes => {
        let (lo, default, hi) = kumbu_engine::EXPIRY_MINUTES;
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some(format!("Minutes, {default} by default")))
            .minimum(Some(lo))
            .maximum(Some(hi))
            .build()
            .into()
    };
    /// Metadata as objects show it.
    ShownMetadata => ObjectBuilder::new()
        .schema_type(Type::Object)
        .additional_properties(Some(text()))
        .build()
        .into();
    /// Text of at most 200 characters, no control characters but tabs and line breaks.
    Text200 => text().max_length(Some(200)).pattern(Some(PLAIN)).build().into();
    /// Text of at most 500 characters, no control characters but tabs and line breaks.
    Text500 => text().max_length(Some(500)).pattern(Some(PLAIN)).build().into();
    /// An instant.
    DateTime => text().format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))).build().into();
}
