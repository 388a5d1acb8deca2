//! The vocabularies every document shares, as named schemas built from the code's own
//! constants (currencies, operators, statuses, phone numbers, ids, idempotency keys), so a
//! document states exactly what the validators accept and cannot drift from them.
//!
//! A wire type refers to one with `#[schema(value_type = vocab::Currency)]` (a field) or
//! `("currency" = Option<vocab::Currency>, Query)` (a parameter); [`register`] then adds the
//! schemas a document refers to.

use kumbu_core::{Currency as CoreCurrency, Operator as CoreOperator};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A string schema.
fn text(description: &str) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .description(Some(description))
}

/// A string that is one of `words`.
pub(crate) fn one_of<S: Into<String>>(
    description: &str,
    words: impl IntoIterator<Item = S>,
) -> RefOr<Schema> {
    let words: Vec<String> = words.into_iter().map(Into::into).collect();
    text(description).enum_values(Some(words)).build().into()
}

/// A string matching `pattern`.
pub(crate) fn matching(description: &str, pattern: String) -> RefOr<Schema> {
    text(description).pattern(Some(pattern)).build().into()
}

/// Declares a documentation-only type whose schema is the expression given.
macro_rules! vocabulary {
    ($($(#[$doc:meta])* $name:ident => $schema:expr;)*) => {
        $(
            $(#[$doc])*
            pub(crate) struct $name;
            impl PartialSchema for $name {
                fn schema() -> RefOr<Schema> {
                    $schema
                }
            }
            impl ToSchema for $name {}
        )*
        /// Every vocabulary: (name, schema).
        fn all() -> Vec<(String, RefOr<Schema>)> {
            vec![$((<$name as ToSchema>::name().into_owned(), <$name as PartialSchema>::schema()),)*]
        }
    };
}

vocabulary! {
    /// An ISO 4217 code of a currency Kumbu handles.
    Currency => one_of("ISO 4217 currency code", CoreCurrency::ALL.iter().map(|c| c.code()));
    /// An operator code (`GET /v1/operators` lists them with their countries and currencies).
    Operator => one_of("Operator code", CoreOperator::ALL.iter().map(|o| o.code()));
    /// A phone number in E.164 form.
    Phone => matching(
        "E.164: `+`, then the country code and number (spaces, dots and dashes are ignored)",
        format!("^\\+[1-9][0-9]{{{},{}}}$", kumbu_core::phone::DIGITS.0 - 1, kumbu_core::phone::DIGITS.1 - 1),
    );
    /// A calendar day.
    Day => text("A day, `YYYY-MM-DD`")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some("^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
        .build()
        .into();
    /// An Idempotency-Key header's value.
    IdempotencyKey => matching(
        "Makes retries safe: the first response is replayed for 24 h (a UUID is a good choice)",
        format!("^[!-~]{{1,{}}}$", kumbu_engine::MAX_IDEMPOTENCY_KEY_LEN),
    );
    /// A Multicaixa reference id: 1 to 9 digits, not zero.
    ReferenceId => matching(
        "Multicaixa reference id: 1 to 9 digits, not zero",
        format!("^(?!0+$)[0-9]{{1,{}}}$", kumbu_core::reference::MAX_REFERENCE_ID.to_string().len()),
    );
    /// Metadata as the compatibility faces read it (`compat::common::metadata`): string,
    /// number or boolean values (kept as their text), within the engine's limits.
    Metadata => {
        // No control characters but tab, line feed and carriage return.
        let plain = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";
        let value = utoipa::openapi::schema::OneOfBuilder::new()
            .item(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(kumbu_engine::MAX_METADATA_VALUE_LEN))
                    .pattern(Some(plain)),
            )
            .item(ObjectBuilder::new().schema_type(Type::Number))
            .item(ObjectBuilder::new().schema_type(Type::Boolean));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("Your own keys and values, kept and shown as text (numbers and booleans too)"))
            .max_properties(Some(kumbu_engine::MAX_METADATA_KEYS))
            .property_names(Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .min_length(Some(1))
                    .max_length(Some(kumbu_engine::MAX_METADATA_KEY_LEN))
                    .pattern(Some(plain)),
            ))
            .additional_properties(Some(utoipa::openapi::schema::AdditionalProperties::RefOr(
                RefOr::T(Schema::OneOf(value.build())),
            )))
            .build()
            .into()
    };
    /// An RFC 3339 date-time (`Timestamp::parse_rfc3339`).
    DateTime => text("RFC 3339, e.g. `2026-11-22T10:41:36Z`")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .build()
        .into();
}

/// Adds to `doc`'s components every vocabulary it refers to.
pub(crate) fn register(doc: &mut OpenApi) {
    let text = serde_json::to_string(&doc.paths).unwrap_or_default()
        + &serde_json::to_string(&doc.components).unwrap_or_default();
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, schema) in all() {
        if text.contains(&format!("\"#/components/schemas/{name}\"")) {
            components.schemas.entry(name).or_insert(schema);
        }
    }
}
