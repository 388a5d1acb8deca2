//! The vocabularies every document shares, as named schemas built from the code's own
//! constants (currencies, operators, statuses, phone numbers, ids, idempotency keys), so a
//! document states exactly what the validators accept and cannot drift from them.
//!
//! A wire type refers to one with `#[schema(value_type = vocab::Currency)]` (a field) or
//! `("currency" = Option<vocab::Currency>, Query)` (a parameter); [`register`] then adds the
//! schemas a document refers to.
//!
//! Over 500 lines because it is the one vocabulary every document shares (one short schema per
//! concept); splitting it by face would copy the shared ones.

use kumbu_core::{
    CheckoutStatus as CoreCheckoutStatus, CollectionStatus as CoreCollectionStatus,
    Currency as CoreCurrency, ExternalStatus, MatchOutcome, Operator as CoreOperator,
    PaymentStatus as CorePaymentStatus, RefundStatus as CoreRefundStatus,
    Resolution as CoreResolution,
};
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type};
use utoipa::openapi::{OpenApi, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A day of the calendar, `~` standing for the separator (see [`day`]).
const DAY: &str = concat!(
    "([0-9]{4}~((0[13578]|1[02])~(0[1-9]|[12][0-9]|3[01])|(0[469]|11)~(0[1-9]|[12][0-9]|30)",
    "|02~(0[1-9]|1[0-9]|2[0-8]))",
    // 29 February: years divisible by 4, centuries only when divisible by 400.
    "|([0-9]{2}(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)~02~29)"
);

/// A pattern of the days the calendar has (no 30 February), written with `separator`.
fn day(separator: char) -> String {
    DAY.replace('~', &separator.to_string())
}

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

/// The E.164 pattern, `+` optional or not.
fn e164(plus: &str) -> String {
    let (lo, hi) = kumbu_core::phone::DIGITS;
    format!("^\\+{plus}[1-9][0-9]{{{},{}}}$", lo - 1, hi - 1)
}

/// A lookahead for the national prefixes `country`'s push operators prompt (empty when one of
/// them takes any number), as `Catalogue::predict` matches them.
fn prompted_prefixes(country: kumbu_core::Country) -> String {
    let ops: Vec<kumbu_core::OperatorInfo> = CoreOperator::ALL
        .into_iter()
        .map(CoreOperator::defaults)
        .filter(|e| e.kind == kumbu_core::RailKind::MobileMoneyPush && e.country == Some(country))
        .collect();
    if ops.is_empty() {
        return "(?!)".to_owned(); // no operator: no number of this country
    }
    if ops.iter().any(|e| e.operator.prefixes().is_empty()) {
        return String::new();
    }
    let prefixes: Vec<&str> = ops
        .iter()
        .flat_map(|e| e.operator.prefixes().iter().copied())
        .collect();
    format!("(?={})", prefixes.join("|"))
}

/// Items in the order first met, each once (a face's name tables map several values to one
/// name).
pub(crate) fn distinct<T: PartialEq>(items: impl IntoIterator<Item = T>) -> Vec<T> {
    let mut out = Vec::new();
    for item in items {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// The object schema of a derived body (to build variants of it).
pub(crate) fn object_of<T: PartialSchema>() -> utoipa::openapi::schema::Object {
    match T::schema() {
        RefOr::T(Schema::Object(o)) => o,
        RefOr::T(_) | RefOr::Ref(_) => unreachable!("a derived struct's schema is an object"),
    }
}

/// A schema allowing only `null`.
pub(crate) fn null() -> RefOr<Schema> {
    ObjectBuilder::new().schema_type(Type::Null).build().into()
}

/// A string matching `pattern`.
pub(crate) fn matching(description: &str, pattern: String) -> RefOr<Schema> {
    text(description).pattern(Some(pattern)).build().into()
}

use chars::{CONTROL as NOT_LABEL, PLAIN_CLASS as NOT_FREE_TEXT};

/// Free text of at most `max` characters, no control characters but tab and line breaks
/// (`payments::plain_text` in the engine).
pub(crate) fn free_text(max: usize) -> ObjectBuilder {
    text("Free text (no control characters but tab and line breaks)")
        .max_length(Some(max))
        .pattern(Some(format!("^[^{NOT_FREE_TEXT}]*$")))
}

/// A label: 1 to `max` characters, not blank, no control characters.
pub(crate) fn label(max: usize) -> ObjectBuilder {
    text("Not blank; no control characters")
        .min_length(Some(1))
        .max_length(Some(max))
        .pattern(Some(format!("^(?=[\\s\\S]*[^\\s])[^{NOT_LABEL}]*$")))
}

/// Field schemas for `#[schema(schema_with = …)]` (utoipa wants a function per field shape).
/// A schema given this way replaces the field's whole schema, so those for optional fields
/// (`Option<…>`, which accept `null`) say so; `required` holds those for required fields.
pub(crate) mod field {
    use super::*;
    use utoipa::openapi::schema::SchemaType;

    /// `builder`, `null` accepted too.
    fn or_null(builder: ObjectBuilder, t: Type) -> ObjectBuilder {
        builder.schema_type(SchemaType::from_iter([t, Type::Null]))
    }
    pub(crate) fn text_100() -> ObjectBuilder {
        or_null(free_text(100), Type::String)
    }
    pub(crate) fn text_160() -> ObjectBuilder {
        or_null(free_text(160).min_length(Some(1)), Type::String)
    }
    pub(crate) fn text_200() -> ObjectBuilder {
        or_null(free_text(200), Type::String)
    }
    pub(crate) fn text_254() -> ObjectBuilder {
        or_null(free_text(254), Type::String)
    }
    pub(crate) fn text_500() -> ObjectBuilder {
        or_null(free_text(500), Type::String)
    }
    pub(crate) fn label_100() -> ObjectBuilder {
        or_null(label(100), Type::String)
    }
    /// Address lines by name: at most 20, each free text of at most 200 characters.
    pub(crate) fn address() -> ObjectBuilder {
        or_null(ObjectBuilder::new(), Type::Object)
            .max_properties(Some(kumbu_engine::MAX_ADDRESS_LINES))
            .additional_properties(Some(free_text(200)))
    }
    /// Your own id for an object: 1 to 128 characters of free text.
    pub(crate) fn reference() -> ObjectBuilder {
        or_null(free_text(128).min_length(Some(1)), Type::String)
    }
    /// A SIMO/ERV reference as `ErvReference::parse` reads it: 11 digits, white space
    /// around them ignored.
    pub(crate) fn erv_reference() -> ObjectBuilder {
        let ws = chars::WHITESPACE;
        or_null(ObjectBuilder::new(), Type::String)
            .description(Some("A SIMO/ERV reference: 11 digits"))
            .pattern(Some(format!("^[{ws}]*[0-9]{{11}}[{ws}]*$")))
    }
    /// A payment's lifetime, in seconds.
    pub(crate) fn expires_in() -> ObjectBuilder {
        let (lo, hi) = kumbu_engine::EXPIRES_IN_RANGE;
        or_null(ObjectBuilder::new(), Type::Integer)
            .description(Some(
                "Seconds until an unconfirmed payment expires (default 600)",
            ))
            .minimum(Some(lo))
            .maximum(Some(hi))
    }
    /// A checkout session's lifetime, in minutes.
    pub(crate) fn session_minutes() -> ObjectBuilder {
        let (lo, default, hi) = kumbu_engine::EXPIRY_MINUTES;
        or_null(ObjectBuilder::new(), Type::Integer)
            .description(Some(format!(
                "Minutes the page stays open (default {default})"
            )))
            .minimum(Some(lo))
            .maximum(Some(hi))
    }

    /// For required fields.
    pub(crate) mod required {
        use super::super::*;
        pub(crate) fn label_100() -> ObjectBuilder {
            label(100)
        }
        pub(crate) fn label_200() -> ObjectBuilder {
            label(200)
        }
        /// How many of a line item.
        pub(crate) fn quantity() -> ObjectBuilder {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(kumbu_engine::MAX_QUANTITY))
        }
        /// A line item's price, in minor units: at least 1, and at most what any rail takes
        /// (far below where a JSON number stops being an exact integer).
        pub(crate) fn unit_amount() -> ObjectBuilder {
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(1))
                .maximum(Some(kumbu_core::operator::MAX_EXTERNAL_AMOUNT))
        }
        /// A line item's name: not blank, free text, at most 200 characters.
        pub(crate) fn item_name() -> ObjectBuilder {
            free_text(200)
                .min_length(Some(1))
                .pattern(Some(format!("^(?=[\\s\\S]*[^\\s])[^{NOT_FREE_TEXT}]*$")))
        }
    }
}

/// Declares the vocabularies (see [`doc_types!`](super::doc_types)) and `all()`, every one of
/// them with its name.
macro_rules! vocabulary {
    ($($(#[$doc:meta])* $name:ident => $schema:expr;)*) => {
        super::doc_types! { $($(#[$doc])* $name => $schema;)* }
        /// Every vocabulary: (name, schema).
        fn all() -> Vec<(String, RefOr<Schema>)> {
            vec![$((<$name as ToSchema>::name().into_owned(), <$name as PartialSchema>::schema()),)*]
        }
    };
}

vocabulary! {
    /// A page's language as `Locale::parse` reads it: `fr`, `pt` or `en` in any case, or a tag
    /// with one of them as its base language (`pt-AO`, `fr_CM`), white space around ignored.
    Locale => {
        let any_case = |tag: &str| -> String {
            tag.chars()
                .map(|c| format!("[{}{}]", c.to_ascii_lowercase(), c.to_ascii_uppercase()))
                .collect()
        };
        let bases: Vec<String> = kumbu_core::Locale::ALL.iter().map(|l| any_case(l.as_str())).collect();
        let ws = chars::WHITESPACE;
        matching(
            "`fr`, `pt` or `en` (a language tag such as `pt-AO` is read by its base language)",
            format!("^[{ws}]*({})([-_][\\s\\S]*)?[{ws}]*$", bases.join("|")),
        )
    };
    /// An ISO 4217 code of a currency Kumbu handles.
    Currency => one_of("ISO 4217 currency code", CoreCurrency::ALL.iter().map(|c| c.code()));
    /// A currency some operator collects by phone prompt (a checkout page takes only those).
    PushCurrency => one_of(
        "ISO 4217 code of a currency collected by phone prompt",
        CoreCurrency::ALL
            .into_iter()
            .filter(|c| !kumbu_core::Catalogue::default().push_operators_for(*c).is_empty())
            .map(|c| c.code()),
    );
    /// An operator code (`GET /v1/operators` lists them with their countries and currencies).
    Operator => one_of("Operator code", CoreOperator::ALL.iter().map(|o| o.code()));
    /// A phone number in E.164 form.
    Phone => matching(
        "E.164: `+`, then the country code and number (spaces, dots and dashes are ignored)",
        e164(""),
    );
    /// A phone number to look for: E.164, the `+` may be left out.
    PhoneFilter => matching("E.164; the `+` may be left out (or sent as %2B)", e164("?"));
    /// A calendar day.
    Day => text("A day, `YYYY-MM-DD`")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        .pattern(Some(format!("^{}$", day('-'))))
        .build()
        .into();
    /// An Idempotency-Key header's value.
    IdempotencyKey => matching(
        "Makes retries safe: the first response is replayed for 24 h (a UUID is a good choice)",
        format!("^[!-~]{{1,{}}}$", kumbu_engine::MAX_IDEMPOTENCY_KEY_LEN),
    );
    /// A phone number of a country Kumbu serves, the `+` optional.
    ServedPhone => {
        let countries: Vec<String> = kumbu_core::Country::ALL
            .iter()
            .map(|c| {
                let lengths: Vec<String> =
                    c.national_lengths().iter().map(|n| format!("[0-9]{{{n}}}")).collect();
                format!("{}{}({})", c.dial_code(), prompted_prefixes(*c), lengths.join("|"))
            })
            .collect();
        matching(
            "E.164 of a number an operator Kumbu serves can prompt; the `+` may be left out",
            format!("^\\+?({})$", countries.join("|")),
        )
    };
    /// A payment's status.
    PaymentStatus => one_of("Payment status", CorePaymentStatus::ALL.iter().map(|s| s.as_str()));
    /// A checkout session's status.
    CheckoutStatus => one_of("Checkout session status", CoreCheckoutStatus::ALL.iter().map(|s| s.as_str()));
    /// A collection request's status.
    CollectionStatus => one_of("Collection request status", CoreCollectionStatus::ALL.iter().map(|s| s.as_str()));
    /// A refund's status.
    RefundStatus => one_of("Refund status", CoreRefundStatus::ALL.iter().map(|s| s.as_str()));
    /// A way to pay a collection request.
    CollectionMethod => one_of("Payment method", kumbu_core::CollectionMethod::ALL.iter().map(|m| m.as_str()));
    /// How an ingested payment was matched.
    IngestOutcome => one_of("Match outcome", MatchOutcome::ALL.iter().map(|s| s.as_str()));
    /// A payment record's status at its source.
    RecordStatus => one_of("The record's status", kumbu_engine::RecordStatus::ALL.iter().map(|s| s.as_str()));
    /// What a person decided about an exception.
    Resolution => one_of("Resolution", CoreResolution::ALL.iter().map(|s| s.as_str()));
    /// What moved a merchant's balance.
    BalanceType => one_of("Balance transaction type", kumbu_core::BalanceType::ALL.iter().map(|t| t.as_str()));
    /// A calendar month.
    Month => matching("A month, `YYYY-MM` (UTC)", "^[0-9]{4}-(0[1-9]|1[0-2])$".to_owned());
    /// An event type.
    EventType => one_of("Event type", kumbu_engine::event_types());
    /// An instant: RFC 3339, or Unix seconds.
    Instant => {
        let any_of = utoipa::openapi::schema::AnyOfBuilder::new()
            .description(Some("RFC 3339 date-time or Unix seconds"))
            .item(text("RFC 3339").format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime))))
            .item(matching("Unix seconds", "^-?[0-9]{1,12}$".to_owned()))
            .build();
        RefOr::T(Schema::AnyOf(any_of))
    };
    /// A Multicaixa reference's amount, in cêntimos.
    ReferenceAmount => {
        let (lo, hi) = kumbu_core::reference::AMOUNT_RANGE;
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .description(Some("AOA minor units (cêntimos)"))
            .minimum(Some(lo))
            .maximum(Some(hi))
            .build()
            .into()
    };
    /// An amount on an external rail (records, ingested payments, bills), in minor units.
    ExternalAmount => ObjectBuilder::new()
        .schema_type(Type::Integer)
        .description(Some("Minor units"))
        .minimum(Some(1))
        .maximum(Some(kumbu_core::operator::MAX_EXTERNAL_AMOUNT))
        .build()
        .into();
    /// Text to look for: no control characters but tab and line breaks.
    FreeText => free_text(usize::MAX >> 1).max_length(None).build().into();
    /// A bank-reported payment's status at its source.
    IngestStatus => one_of("Status at the source", ExternalStatus::ALL.iter().map(|s| s.as_str()));
    /// Until when a reference can be paid: a date (`2026-12-31` or `2026/12/31`, until
    /// 23:59:59 GMT+1), an RFC 3339 date-time, or one without an offset (read in GMT+1).
    EndDatetime => {
        let format = |f| text("").description(None::<String>).format(Some(SchemaFormat::KnownFormat(f)));
        let any_of = utoipa::openapi::schema::AnyOfBuilder::new()
            .description(Some("A date or date-time in the future (a past one is refused)"))
            .item(format(KnownFormat::Date))
            .item(format(KnownFormat::DateTime))
            .item(matching("A date with slashes", format!("^{}$", day('/'))))
            .item(matching(
                "A date-time without an offset, read in GMT+1",
                format!("^{}T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]{{1,9}})?$", day('-')),
            ))
            .build();
        RefOr::T(Schema::AnyOf(any_of))
    };
    /// A reference's custom fields: string keys and values, kept and shown on its payments.
    CustomFields => {
        let (key, value) = kumbu_core::reference::CUSTOM_FIELD_LIMITS;
        let no_control = format!("^[^{NOT_LABEL}]*$");
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("String keys and values, kept and shown on the reference's payments"))
            .max_properties(Some(kumbu_core::reference::MAX_CUSTOM_FIELDS))
            .property_names(Some(
                text("").description(None::<String>).min_length(Some(1)).max_length(Some(key)).pattern(Some(no_control.clone())),
            ))
            .additional_properties(Some(
                text("").description(None::<String>).max_length(Some(value)).pattern(Some(no_control)),
            ))
            .build()
            .into()
    };
    /// Merchant metadata: string pairs (`payments::check_metadata` in the engine).
    Metadata => {
        let free = format!("^[^{NOT_FREE_TEXT}]*$");
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some("Your string key-value pairs"))
            .max_properties(Some(kumbu_engine::MAX_METADATA_KEYS))
            .property_names(Some(
                text("").description(None::<String>).min_length(Some(1))
                    .max_length(Some(kumbu_engine::MAX_METADATA_KEY_LEN)).pattern(Some(free.clone())),
            ))
            .additional_properties(Some(
                text("").description(None::<String>)
                    .max_length(Some(kumbu_engine::MAX_METADATA_VALUE_LEN)).pattern(Some(free)),
            ))
            .build()
            .into()
    };
    /// A Multicaixa reference id: 1 to 9 digits, not zero.
    ReferenceId => matching(
        "Multicaixa reference id: 1 to 9 digits, not zero",
        format!("^(?!0+$)[0-9]{{1,{}}}$", kumbu_core::reference::MAX_REFERENCE_ID.to_string().len()),
    );
    /// Metadata as the compatibility faces read it (`compat::common::metadata`): string,
    /// number or boolean values (kept as their text), within the engine's limits.
    FaceMetadata => {
        // No control characters but tab, line feed and carriage return.
        let plain = "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";
        let value = utoipa::openapi::schema::AnyOfBuilder::new()
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
                RefOr::T(Schema::AnyOf(value.build())),
            )))
            .build()
            .into()
    };
    /// An RFC 3339 date-time (`Timestamp::parse_rfc3339`).
    DateTime => text("RFC 3339, e.g. `2026-11-22T10:41:36Z`")
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .build()
        .into();
    /// A checkout page's redirect URL as the engine checks it: absolute http(s) with a host (no
    /// user info), nothing that could break out of an attribute or a header, at most 2,048
    /// characters. The host is written in ASCII (an IDN in its `xn--` form), an IPv6 address in
    /// brackets.
    RedirectUrl => {
        let path = chars::ascii("\"<>\\");
        let host = format!("({}|\\[{}\\](:[0-9]*)?)", chars::ascii_host(""), chars::IPV6);
        text("An absolute http:// or https:// URL with a host (in ASCII, an IPv6 address in brackets), at most 2,048 characters, without white space, quotes, `<`, `>` or backslashes")
            .max_length(Some(kumbu_engine::MAX_URL_LEN))
            .pattern(Some(format!("^https?://{host}([/?#]{path}*)?$")))
            .build()
            .into()
    };
    /// A webhook endpoint's URL as the engine checks it: absolute http(s), a host (no user
    /// info) and perhaps a port, no white space, at most 2,048 characters. The host is written
    /// in ASCII (an IDN in its `xn--` form), an IPv6 address in brackets.
    WebhookUrl => {
        let path = chars::ascii("");
        let port = "([0-5]?[0-9]{1,4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5])";
        let label = "[A-Za-z0-9_]([A-Za-z0-9_\\-]{0,61}[A-Za-z0-9_])?";
        let host = format!("({label}(\\.{label})*\\.?|\\[{}\\])", chars::IPV6);
        text("An absolute http:// or https:// URL with a host (a name of dot-separated labels of 1 to 63 letters, digits, `-` or `_`, an IPv4 address, or an IPv6 address in brackets) and perhaps a port (0 to 65535), at most 2,048 characters, without white space. In live mode the host must resolve to public addresses.")
            .max_length(Some(kumbu_engine::MAX_URL_LEN))
            .pattern(Some(format!("^https?://{host}(:{port})?([/?#]{path}*)?$")))
            .build()
            .into()
    };
}

/// Character classes the vocabularies share.
pub(crate) mod chars {
    /// The control characters (Unicode Cc) merchant text may not hold: all but tab, LF and CR.
    pub(crate) const PLAIN_CLASS: &str =
        "\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f";

    /// Text the engine stores: no control characters (Unicode Cc) but tabs and line breaks.
    pub(crate) const PLAIN: &str =
        "^[^\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f]*$";

    /// Rust's white space (`char::is_whitespace`, what `trim` removes), for character classes.
    pub(crate) const WHITESPACE: &str =
        "\\t-\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";

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
        format!("{}+", ascii(&format!("/?#@[]\"<>\\{extra}")))
    }

    /// A class of the printable ASCII characters but white space and `exclude`: the engine
    /// counts a URL's length in bytes, a schema in characters, so a URL stays ASCII.
    pub(crate) fn ascii(exclude: &str) -> String {
        let allowed: String = ('!'..='~')
            .filter(|c| !exclude.contains(*c))
            .map(|c| match c {
                '-' | '^' | '\\' | ']' | '[' => format!("\\{c}"),
                c => c.to_string(),
            })
            .collect();
        format!("[{allowed}]")
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
