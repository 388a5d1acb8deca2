//! ProxyPay's document, served at `/compat/proxypay/openapi.json` (and `/openapi.json` on a
//! ProxyPay listener of its own): the operations come from the handlers' `#[utoipa::path]`
//! through the face's [`OpenApiRouter`](utoipa_axum::router::OpenApiRouter); here are the
//! parts no handler owns.

use super::error::{PpFieldError, PpInvalid, PpMessage};
use super::views::PpPayment;
use crate::openapi::errors::ErrorAnswers;
use crate::openapi::vocab::{matching, CustomFields, EndDatetime, ReferenceId};
use crate::openapi::{finish, Auth};
use serde_json::Value;
use std::collections::BTreeMap;
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{OpenApi as _, PartialSchema, ToSchema};

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "Kumbu: ProxyPay API v2",
        version = "2",
        description = "Multicaixa references, reference ids, the payments queue and mock payments, as ProxyPay v2 speaks them. Clients send `Accept: application/vnd.proxypay.v2+json`; bodies are JSON (a form body is read too). See docs/compat/proxypay.md."
    ),
    components(schemas(
        PpPayment,
        PpFieldError,
        PpInvalid,
        PpMessage,
        ReferenceBody,
        MockPaymentBody,
        Amount,
        CustomFields,
        PpCustomFields,
        PpReferenceId,
        EndDatetime
    ))
)]
struct Doc;

/// The document's parts no handler owns (the router adds the operations).
pub(super) fn base() -> OpenApi {
    Doc::openapi()
}

/// Finishes the document the router collected.
pub(super) fn finished(mut doc: OpenApi, mount: &str) -> OpenApi {
    finish(
        &mut doc,
        mount,
        "token",
        Auth::Header(
            "Authorization",
            "`Authorization: Token <API key>` (`Bearer` is accepted too)",
        ),
        // Not a v2 operation: anyone gets its 404.
        &["/references/{id}#get"],
        &ErrorAnswers {
            invalid: "PpInvalid",
            other: "PpMessage",
            json_bodies: false,
            rate_limited: true,
            extra: &[(
                "406",
                "`Accept` asks for another ProxyPay API version than v2.",
            )],
        },
    );
    doc
}

/// An amount in kwanzas: a decimal string or number, 0.01 to 99,999,999.99, at most 2 decimals.
pub(super) struct Amount;

impl PartialSchema for Amount {
    fn schema() -> RefOr<Schema> {
        let (lo, hi) = kumbu_core::reference::AMOUNT_RANGE;
        let exp = kumbu_core::Currency::Aoa.exponent() as usize;
        let whole = (hi / 10i64.pow(exp as u32)).to_string().len();
        let one_of = OneOfBuilder::new()
            .description(Some(format!(
                "Kwanzas, {} to {}, at most {exp} decimals",
                kumbu_core::Currency::Aoa.format_decimal(lo),
                kumbu_core::Currency::Aoa.format_decimal(hi)
            )))
            .item(matching(
                "A decimal string",
                format!("^(?!0*(\\.0*)?$)[0-9]{{1,{whole}}}(\\.[0-9]{{1,{exp}}})?$"),
            ))
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Number)
                    .minimum(Some(lo as f64 / 100.0))
                    .maximum(Some(hi as f64 / 100.0))
                    .multiple_of(Some(1.0 / 10f64.powi(exp as i32)))
                    .build(),
            )
            .build();
        RefOr::T(Schema::OneOf(one_of))
    }
}
impl ToSchema for Amount {}

/// `PUT /references/{id}`'s body.
#[expect(
    dead_code,
    reason = "only its schema is used: the document describes the body, which the face reads field by field"
)]
#[derive(ToSchema)]
pub(super) struct ReferenceBody {
    /// The amount to pay (none: any amount).
    #[schema(value_type = Option<Amount>)]
    amount: Option<Value>,
    #[schema(value_type = Option<EndDatetime>)]
    end_datetime: Option<String>,
    #[schema(value_type = Option<PpCustomFields>)]
    custom_fields: Option<BTreeMap<String, String>>,
}

/// Custom fields, or an empty array (PHP's `json_encode([])`, which ProxyPay's PHP clients
/// send for no fields).
pub(super) struct PpCustomFields;

impl PartialSchema for PpCustomFields {
    fn schema() -> RefOr<Schema> {
        let one_of = OneOfBuilder::new()
            .item(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                "CustomFields",
            )))
            .item(
                ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .max_items(Some(0))
                    .description(Some("No fields (PHP's `[]`)")),
            )
            .build();
        RefOr::T(Schema::OneOf(one_of))
    }
}
impl ToSchema for PpCustomFields {}

/// A reference id as a string or an integer.
pub(super) struct PpReferenceId;

impl PartialSchema for PpReferenceId {
    fn schema() -> RefOr<Schema> {
        let one_of = OneOfBuilder::new()
            .item(ReferenceId::schema())
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(1))
                    .maximum(Some(kumbu_core::reference::MAX_REFERENCE_ID)),
            )
            .build();
        RefOr::T(Schema::OneOf(one_of))
    }
}
impl ToSchema for PpReferenceId {}

/// `POST /payments`'s body (sandbox only).
#[expect(
    dead_code,
    reason = "only its schema is used: the document describes the body, which the face reads field by field"
)]
#[derive(ToSchema)]
pub(super) struct MockPaymentBody {
    /// The reference paid.
    #[schema(value_type = PpReferenceId)]
    reference_id: Value,
    #[schema(value_type = Amount)]
    amount: Value,
}
