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
    /// Merchant metadata as the faces read it (`compat::common::metadata`) and the engine limits
    /// it (`check_metadata`: 50 keys of 1–40 characters, values of at most 500, no control
    /// characters but tabs and line breaks): strings, numbers or booleans, kept as text.
    FaceMetadata => {
        let plain = || ObjectBuilder::new().schema_type(Type::String).pattern(Some(face::PLAIN));
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("At most 50 keys of 1 to 40 characters; values are strings of at most 500 characters, numbers or booleans (kept as text)"))
            .max_properties(Some(50))
            .property_names(Some(plain().min_length(Some(1)).max_length(Some(40))))
            .additional_properties(Some(RefOr::T(Schema::AnyOf(
                utoipa::openapi::schema::AnyOfBuilder::new()
                    .item(plain().max_length(Some(500)))
                    .item(ObjectBuilder::new().schema_type(Type::Number))
                    .item(ObjectBuilder::new().schema_type(Type::Boolean))
                    .build(),
            ))))
            .build()
            .into()
    };
    /// A checkout page's redirect URL as the engine checks it: absolute http(s) with a host (no
    /// user info), nothing that could break out of an attribute or a header, at most 2,048
    /// characters. The host is written in ASCII (an IDN in its `xn--` form), an IPv6 address in
    /// brackets.
    RedirectUrl => {
        let bad = format!("{}\\s\"<>\\\\", face::CONTROL);
        let host = format!("({}|\\[{}\\](:[0-9]*)?)", face::ascii_host(""), face::IPV6);
        text("An absolute http:// or https:// URL with a host (in ASCII, an IPv6 address in brackets), at most 2,048 characters, without white space, quotes, `<`, `>` or backslashes")
            .max_length(Some(2048))
            .pattern(Some(format!("^https?://{host}([/?#][^{bad}]*)?$")))
            .build()
            .into()
    };
    /// A webhook endpoint's URL as the engine checks it: absolute http(s), a host (no user
    /// info) and perhaps a port, no white space, at most 2,048 characters. The host is written
    /// in ASCII (an IDN in its `xn--` form), an IPv6 address in brackets.
    WebhookUrl => {
        let c = face::CONTROL;
        let port = "([0-5]?[0-9]{1,4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
        let host = format!("({}|\\[{}\\])", face::ascii_host(":"), face::IPV6);
        text("An absolute http:// or https:// URL with a host (in ASCII, an IPv6 address in brackets) and perhaps a port (0 to 65535), at most 2,048 characters, without white space. In live mode the host must resolve to public addresses.")
            .max_length(Some(2048))
            .pattern(Some(format!("^https?://{host}(:{port})?([/?#][^{c}\\s]*)?$")))
            .build()
            .into()
    };
}

/// Character classes the faces' vocabularies share.
pub(crate) mod face {
    /// The control characters (Unicode Cc) merchant text may not hold: all but tab, LF and CR.
    pub(crate) const PLAIN_CLASS: &str =
        "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f";

    /// Text the engine stores: no control characters (Unicode Cc) but tabs and line breaks.
    pub(crate) const PLAIN: &str =
        "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";

    /// Every control character (Unicode Cc), for character classes.
    pub(crate) const CONTROL: &str = "\\u0000-\\u001f\\u007f-\\u009f";

    /// An IPv6 address (RFC 4291's text forms, without an embedded IPv4 address).
    pub(crate) const IPV6: &str = concat!(
        "(([0-9a-fA-F]{1,4}:){7}[0-9a-fA-F]{1,4}",
        "|([0-9a-fA-F]{1,4}:){1,7}:",
        "|([0-9a-fA-F]{1,4}:){1,6}:[0-9a-fA-F]{1,4}",
        "|([0-9a-fA-F]{1,4}:){1,5}(:[0-9a-fA-F]{1,4}){1,2}",
        "|([0-9a-fA-F]{1,4}:){1,4}(:[0-9a-fA-F]{1,4}){1,3}",
        "|([0-9a-fA-F]{1,4}:){1,3}(:[0-9a-fA-F]{1,4}){1,4}",
        "|([0-9a-fA-F]{1,4}:){1,2}(:[0-9a-fA-F]{1,4}){1,5}",
        "|[0-9a-fA-F]{1,4}:(:[0-9a-fA-F]{1,4}){1,6}",
        "|:((:[0-9a-fA-F]{1,4}){1,7}|:))"
    );

    /// A host written in printable ASCII: no white space, no `/ ? # @ [ ] " < > \\`, and
    /// none of `extra` either.
    pub(crate) fn ascii_host(extra: &str) -> String {
        let allowed: String = ('!'..='~')
            .filter(|c| !"/?#@[]\"<>\\".contains(*c) && !extra.contains(*c))
            .map(|c| match c {
                '-' | '^' | '\\' | ']' => format!("\\{c}"),
                c => c.to_string(),
            })
            .collect();
        format!("[{allowed}]+")
    }

    #[test]
    fn plain_is_its_class() {
        assert_eq!(PLAIN, format!("^[^{PLAIN_CLASS}]*$"));
    }
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
