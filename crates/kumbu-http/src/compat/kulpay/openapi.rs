//! Kulpay's document, served at `/compat/kulpay/openapi.json`: the operations come from the
//! handlers' `#[utoipa::path]` through the face's
//! [`OpenApiRouter`](utoipa_axum::router::OpenApiRouter); here are the parts no handler owns,
//! and the face's vocabularies, built from its own tables and the validators' constants. Rules
//! that join two fields (an amount in its currency's places, SIMO/ERV bills in MZN, a reference
//! only to reuse one) are the body schemas' `oneOf`/`anyOf`.

use super::bodies::{
    ContactBody, CreateBody, IngestBody, MethodDetailsBody, MoneyBody, PayerBody, PaymentBody,
};
use super::error::{
    KpErrorEnvelope, KpErrorObject, KpErrorStatus, KpGrpcCode, KpGrpcStatus, KpReason,
};
use super::views::{
    self, Deleted, IngestField, KpBillInfo, KpCollectionRequest, KpContact, KpIngest,
    KpMethodDetail, KpMethodDetails, KpMoney, KpPayer, KpPayment, KpReconciliation, PaymentField,
};
use crate::openapi::errors::ErrorAnswers;
use crate::openapi::vocab::chars::{CONTROL, PLAIN_CLASS, WHITESPACE};
use crate::openapi::vocab::distinct;
use crate::openapi::vocab::{matching, one_of};
use crate::openapi::{finish, Auth};
use kumbu_core::operator::MAX_EXTERNAL_AMOUNT;
use kumbu_core::{
    CollectionMethod, CollectionStatus, Currency, ExternalStatus, IdPrefix, MatchOutcome,
    Resolution,
};
use kumbu_engine::RecordStatus;
use serde_json::{json, Value};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::OpenApi as _;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Kumbu: Kulpay Payment Service v1",
        version = "1",
        description = "Mozambican collections as Kulpay's Payment Service speaks them: payment records (`pm_…`), payments banks report (ingest, reconciled against the bills) and collection requests (bills, with their SIMO/ERV reference). Answers keep Kulpay's envelope `{\"object\", …, \"error\": null}`; money is a JSON double read from its decimal text; lists page with `page_size` and an opaque `page_token` (AIP-158). Send a Kumbu key as the bearer token. See docs/compat/kulpay.md."
    ),
    components(schemas(
        KpPayment,
        KpMoney,
        KpIngest,
        KpReconciliation,
        KpMethodDetails,
        KpCollectionRequest,
        KpBillInfo,
        KpMethodDetail,
        KpPayer,
        KpContact,
        PaymentField,
        IngestField,
        Deleted,
        KpErrorEnvelope,
        KpErrorStatus,
        PaymentBody,
        IngestBody,
        MethodDetailsBody,
        CreateBody,
        MoneyBody,
        PayerBody,
        ContactBody,
        CreatePaymentBody,
        UpdatePaymentBody,
        IngestPaymentBody,
        CreateRequestBody,
        NoParams,
        KpErrorObject,
        KpGrpcCode,
        KpGrpcStatus,
        KpReason,
        KpObject,
        KpNull,
        KpRecordStatus,
        KpMatchOutcome,
        KpResolution,
        KpIngestStatus,
        KpBillStatus,
        KpBillStatusFilter,
        KpMethodName,
        KpMethodId,
        KpMethodRef,
        KpPaymentId,
        KpRequestId,
        RecordLabel,
        RecordLabelOrEmpty,
        IngestId,
        IngestSource,
        IngestLabelOrBlank,
        PayerText,
        PayerAddress,
        BillDescription,
        ThirdPartyReference,
        ErvReferenceText,
        FilterText,
        AnyAmount,
        AmountBound,
        PageSize
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
        "/compat/kulpay",
        "bearer",
        Auth::Bearer(
            "A Kumbu secret key as the bearer token: `Authorization: Bearer sk_test_…` (sandbox data) or `sk_live_…` (HTTP Basic with the key as user name works too)",
        ),
        &[],
        &ErrorAnswers {
            invalid: "KpErrorEnvelope",
            other: "KpErrorEnvelope",
            json_bodies: true,
            rate_limited: true, // the per-key limit (--api-rate-limit)
            extra: &[],
        },
    );
    doc
}

/// A schema written as JSON (the cross-field rules read better so).
fn schema(v: Value) -> RefOr<Schema> {
    serde_json::from_value(v).expect("the face's hand-written schemas are valid")
}

/// A reference to a component.
fn reference(name: &str) -> Value {
    json!({"$ref": format!("#/components/schemas/{name}")})
}

/// A character the engine's plain-text check lets through (no control character but tab,
/// line feed and carriage return).
fn plain() -> String {
    format!("[^{PLAIN_CLASS}]")
}
/// A character that is no control character at all.
fn printable() -> String {
    format!("[^{CONTROL}]")
}

/// Text of `chars` with at least one solid character.
fn not_blank(chars: &str) -> String {
    // Neither white space nor a control character.
    format!("{chars}*[^{CONTROL}{WHITESPACE}]{chars}*")
}

/// A string of at most `max` characters matching `pattern`.
fn text(description: &str, max: usize, pattern: String) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
        .max_length(Some(max))
        .pattern(Some(pattern))
        .build()
        .into()
}

/// The currencies whose amounts have `places` decimals.
fn currencies_with(places: u32) -> Vec<&'static str> {
    Currency::ALL
        .into_iter()
        .filter(|c| c.exponent() == places)
        .map(|c| c.code())
        .collect()
}

/// Every number of decimals a currency has.
fn places() -> Vec<u32> {
    let mut p: Vec<u32> = Currency::ALL.into_iter().map(|c| c.exponent()).collect();
    p.sort_unstable();
    p.dedup();
    p
}

/// An amount with at most `places` decimals, from one minor unit to `MAX_EXTERNAL_AMOUNT`:
/// a JSON number, or a string holding one (as protojson accepts).
fn amount(places: u32) -> Value {
    let scale = 10f64.powi(i32::try_from(places).unwrap_or(0));
    let whole = (MAX_EXTERNAL_AMOUNT / 10i64.pow(places)).to_string().len();
    let fraction = match places {
        0 => "(\\.0+)?".to_owned(),
        p => format!("(\\.[0-9]{{1,{p}}}0*)?"),
    };
    json!({"oneOf": [
        {"type": "number", "minimum": 1.0 / scale, "maximum": MAX_EXTERNAL_AMOUNT as f64 / scale, "multipleOf": 1.0 / scale},
        {"type": "string", "pattern": format!("^(?!0*(\\.0*)?$)0*[0-9]{{1,{whole}}}{fraction}$")},
    ]})
}

/// `amount_field` in the places of `currency_field`'s currency: one branch per number of
/// decimals (the currency must be present, or the branch does not apply).
fn amount_in_currency(currency_field: &str, amount_field: &str) -> Vec<Value> {
    places()
        .into_iter()
        .map(|p| {
            json!({
                "type": "object",
                "required": [currency_field],
                "properties": {
                    currency_field: {"type": "string", "enum": currencies_with(p)},
                    amount_field: amount(p),
                },
            })
        })
        .collect()
}

crate::openapi::doc_types! {
    /// What a successful answer is about.
    KpObject => one_of("What the answer is about", views::OBJECTS);
    /// Always null.
    KpNull => schema(json!({"type": "null"}));
    /// A payment record's status.
    KpRecordStatus => one_of(
        "`pending` counts for nothing yet; `confirmed` is posted and counted; `failed`",
        RecordStatus::ALL.map(RecordStatus::as_str),
    );
    /// What reconciliation made of a reported payment.
    KpMatchOutcome => one_of("The outcome", MatchOutcome::ALL.map(MatchOutcome::as_str));
    /// A person's decision on an exception.
    KpResolution => one_of("The decision", Resolution::ALL.map(Resolution::as_str));
    /// What the source says of a payment.
    KpIngestStatus => one_of(
        "`completed` confirms; `pending` is recorded, not counted; `failed` never confirms",
        ExternalStatus::ALL.map(ExternalStatus::as_str),
    );
    /// A bill's status.
    KpBillStatus => one_of(
        "The bill's status",
        CollectionStatus::ALL.map(views::bill_status),
    );
    /// A bill status to filter by, in Kulpay's words or Kumbu's.
    KpBillStatusFilter => one_of(
        "A bill status",
        distinct(
            CollectionStatus::ALL
                .into_iter()
                .flat_map(|s| [views::bill_status(s), s.as_str()]),
        ),
    );
    /// A collection method's name.
    KpMethodName => one_of("The method", CollectionMethod::ALL.map(CollectionMethod::as_str));
    /// A collection method's id.
    KpMethodId => one_of("The method's id", CollectionMethod::ALL.map(views::method_id));
    /// A collection method, by id or name.
    KpMethodRef => one_of(
        "A collection method, by id (`cm_simo_erv`) or name (`simo_erv`)",
        distinct(
            CollectionMethod::ALL
                .into_iter()
                .flat_map(|m| [views::method_id(m), m.as_str()]),
        ),
    );
    /// A payment record's id.
    KpPaymentId => matching(
        "A payment record's id",
        format!(
            "^({}|{})[A-Za-z0-9]+$",
            views::PAYMENT_PREFIX,
            IdPrefix::Payment.as_str()
        ),
    );
    /// A collection request's id.
    KpRequestId => matching(
        "A collection request's id",
        format!("^{}[A-Za-z0-9]+$", IdPrefix::CollectionRequest.as_str()),
    );
    /// A payment record's account, provider, channel or bill.
    RecordLabel => text("1 to 100 characters, not blank", 100, format!("^{}$", not_blank(&plain())));
    /// The same, or empty (empty: none).
    RecordLabelOrEmpty => text(
        "1 to 100 characters, not blank; or empty for none",
        100,
        format!("^({})?$", not_blank(&plain())),
    );
    /// A reported payment's id.
    IngestId => text("1 to 200 printable characters, not blank", 200, format!("^{}$", not_blank(&printable())));
    /// Who reports a payment.
    IngestSource => text("1 to 100 printable characters, not blank", 100, format!("^{}$", not_blank(&printable())));
    /// A reported payment's optional detail: blank for none.
    IngestLabelOrBlank => schema(json!({
        "description": "1 to 100 printable characters; or blank for none",
        "anyOf": [
            {"type": "string", "pattern": format!("^[{WHITESPACE}]*$")},
            {"type": "string", "maxLength": 100, "pattern": format!("^{}$", not_blank(&printable()))},
        ],
    }));
    /// A payer's detail.
    PayerText => text("At most 200 characters", 200, format!("^{}*$", plain()));
    /// A payer's address lines by name.
    PayerAddress => schema(json!({
        "type": "object",
        "description": "Address lines by name (`street`, `city`, …): text, numbers or booleans (kept as text)",
        "maxProperties": kumbu_engine::MAX_ADDRESS_LINES,
        "additionalProperties": {"oneOf": [
            {"type": "string", "maxLength": 200, "pattern": format!("^{}*$", plain())},
            {"type": "number"},
            {"type": "boolean"},
        ]},
    }));
    /// What a bill is for.
    BillDescription => text("At most 500 characters", 500, format!("^{}*$", plain()));
    /// Your own reference for a bill.
    ThirdPartyReference => text(
        "At most 100 characters, not blank; or empty for none",
        100,
        format!("^({})?$", not_blank(&plain())),
    );
    /// A standing SIMO/ERV reference to reuse.
    ErvReferenceText => matching(
        "11 digits; or empty for none",
        format!("^([{WHITESPACE}]*[0-9]{{11}}[{WHITESPACE}]*)?$"),
    );
    /// A list filter's text.
    FilterText => matching("Any text without NUL", "^[^\\u0000]*$".to_owned());
    /// An amount in any currency's places (a `PUT` without `currency` is read in the record's).
    AnyAmount => {
        let most = places().into_iter().max().unwrap_or(0);
        let fewest = places().into_iter().min().unwrap_or(0);
        // The finest step any currency has, up to the largest amount any can hold.
        let (step, largest) = (amount(most), amount(fewest));
        let fine = &step["oneOf"];
        let big = &largest["oneOf"];
        let whole = (MAX_EXTERNAL_AMOUNT / 10i64.pow(fewest)).to_string().len();
        schema(json!({
            "description": "A JSON double (or a string holding one) in the currency's places, from its smallest unit up",
            "oneOf": [
                {"type": "number", "minimum": fine[0]["minimum"], "maximum": big[0]["maximum"], "multipleOf": fine[0]["multipleOf"]},
                {"type": "string", "pattern": format!("^(?!0*(\\.0*)?$)0*[0-9]{{1,{whole}}}(\\.[0-9]{{1,{most}}}0*)?$")},
            ],
        }))
    };
    /// A list's amount bound.
    AmountBound => schema(json!({
        "type": "number",
        "description": "A double read in `currency` (MZN without one): a bound between two minor units is rounded inwards (`amount_min` up, `amount_max` down)",
    }));
    /// A page's size.
    PageSize => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some(format!(
            "How many (0: the default, {}; above {} is brought down to {})",
            super::PAGE_SIZES.0,
            super::PAGE_SIZES.1,
            super::PAGE_SIZES.1
        )))
        .minimum(Some(0))
        .maximum(Some(i64::MAX))
        .build()
        .into();
    /// `POST /v1/payments`' body.
    CreatePaymentBody => schema(json!({
        "allOf": [
            reference("PaymentBody"),
            {
                "type": "object",
                "required": ["account_id", "currency", "amount", "status"],
                "properties": {"status": reference("KpRecordStatus")},
            },
            {"oneOf": amount_in_currency("currency", "amount")},
            // With `payer_phone`, a payment collected from the payer's wallet: M-Pesa's (or
            // e-Mola's) number, in meticais, pending until the operator answers.
            {"anyOf": [
                // Absent or null (a property's schema binds only when it is present).
                {"type": "object", "properties": {"payer_phone": {"type": "null"}}},
                {
                    "type": "object",
                    "required": ["payer_phone", "provider_id", "currency", "status"],
                    "properties": {
                        "payer_phone": {"type": "string", "pattern": "^\\+2588[45][0-9]{7}$"},
                        "provider_id": {"type": "string", "enum": ["provider_mpesa", "provider_emola"]},
                        "currency": {"type": "string", "enum": ["MZN"]},
                        "status": {"type": "string", "enum": ["pending"]},
                    },
                },
            ]},
        ],
    }));
    /// `PUT /v1/payments/{id}`'s body.
    UpdatePaymentBody => {
        let mut either = amount_in_currency("currency", "amount");
        either.push(json!({"type": "object", "properties": {"currency": {"type": "null"}}}));
        schema(json!({"allOf": [
            reference("PaymentBody"),
            {"anyOf": either},
            // A record's payer never changes.
            {"type": "object", "properties": {"payer_phone": {"type": "null"}}},
        ]}))
    };
    /// `POST /v1/payments/ingest`'s body.
    IngestPaymentBody => schema(json!({
        "allOf": [
            reference("IngestBody"),
            {"oneOf": amount_in_currency("currency", "amount")},
        ],
    }));
    /// `POST /v1/collection-requests`' body.
    CreateRequestBody => {
        let simo = CollectionMethod::SimoErv;
        let not_simo: Vec<&str> = CollectionMethod::ALL
            .into_iter()
            .filter(|m| *m != simo)
            .flat_map(|m| [views::method_id(m), m.as_str()])
            .collect();
        schema(json!({
            "allOf": [
                reference("CreateBody"),
                {"type": "object", "properties": {"amount": {"oneOf": amount_in_currency("currency", "value")}}},
                // SIMO/ERV references are paid in MZN.
                {"anyOf": [
                    {"type": "object", "properties": {"collection_method_ids": {"type": "array", "items": {"type": "string", "enum": not_simo}}}},
                    {"type": "object", "properties": {"amount": {"type": "object", "properties": {"currency": {"type": "string", "enum": [Currency::Mzn.code()]}}}}},
                ]},
                // A reference is given only to reuse one.
                {"anyOf": [
                    {"type": "object", "properties": {"reference_number": {"type": ["string", "null"], "enum": [null, ""]}}},
                    {"type": "object", "required": ["allow_reuses"], "properties": {"allow_reuses": {"type": "boolean", "enum": [true]}}},
                ]},
            ],
        }))
    };
    /// A command without parameters: nothing, or any JSON object.
    NoParams => schema(json!({"type": "object"}));
}
