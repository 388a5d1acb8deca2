//! The rules a push (a payment, a payout) must follow on its rail, stated in the schema from
//! the catalogue the engine checks them against (`Engine::check_push_rail`): for each push
//! operator, its currencies, its country's numbers and its amount limits. A body's schema is
//! narrowed with [`narrow_to_rails`] to `allOf: [its fields, oneOf: [one rail each]]`.

use kumbu_core::{Operator, RailKind};
use utoipa::openapi::schema::{AllOfBuilder, ObjectBuilder, OneOfBuilder, Schema, Type};
use utoipa::openapi::{OpenApi, RefOr};

/// One rail: `{currency, amount, <party>: {operator, phone}}` as `op` takes them.
fn rail(op: Operator, party: &str) -> Option<Schema> {
    let info = op.defaults();
    if !matches!(info.kind, RailKind::MobileMoneyPush) {
        return None;
    }
    let phone = match info.country {
        Some(c) => {
            let lengths: Vec<String> = c
                .national_lengths()
                .iter()
                .map(|n| format!("[0-9]{{{n}}}"))
                .collect();
            format!("^\\+{}({})$", c.dial_code(), lengths.join("|"))
        }
        None => {
            let (lo, hi) = kumbu_core::phone::DIGITS;
            format!("^\\+[1-9][0-9]{{{},{}}}$", lo - 1, hi - 1)
        }
    };
    let currencies: Vec<&str> = info.currencies.iter().map(|c| c.code()).collect();
    let party_schema = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property(
            "operator",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some([op.code()])),
        )
        .property(
            "phone",
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(phone)),
        );
    Some(
        ObjectBuilder::new()
            .schema_type(Type::Object)
            .title(Some(op.code()))
            .property(
                "currency",
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(currencies)),
            )
            .property(
                "amount",
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .minimum(Some(info.min_amount))
                    .maximum(Some(info.max_amount)),
            )
            .property(party, party_schema)
            .build()
            .into(),
    )
}

/// Narrows the component schema `name` (a push's body, whose `party` names the payer or payee)
/// to the rails: exactly one rail's currency, amount and phone rules hold.
pub(crate) fn narrow_to_rails(doc: &mut OpenApi, name: &str, party: &str) {
    let Some(components) = doc.components.as_mut() else {
        return;
    };
    let Some(fields) = components.schemas.remove(name) else {
        return;
    };
    let rails = Operator::ALL
        .into_iter()
        .filter_map(|op| rail(op, party))
        .fold(OneOfBuilder::new(), |b, r| b.item(r))
        .description(Some(
            "The rail's rules (GET /v1/operators): its currencies, its country's numbers, its amount limits",
        ))
        .build();
    let narrowed = AllOfBuilder::new()
        .item(fields)
        .item(Schema::OneOf(rails))
        .build();
    components
        .schemas
        .insert(name.to_owned(), RefOr::T(Schema::AllOf(narrowed)));
}
