//! Rules across fields of the native bodies, stated with JSON Schema's conditionals (`if`,
//! `then`, `contains`), which utoipa has no builder for: each is added to its body's schema as
//! one more `allOf` member, built from the same constants and catalogue the engine checks.

use kumbu_core::{CollectionMethod, Currency, Operator, RailKind};
use serde_json::{json, Value};

/// Adds every rule to the native document (as JSON).
pub(crate) fn apply(doc: &mut Value) {
    also(doc, "CreateEndpointBody", endpoint_events());
    also(doc, "ResolveBody", resolution_needs_a_bill());
    for rule in collection_request() {
        also(doc, "CreateCollectionRequestBody", rule);
    }
    also(doc, "CreateSessionBody", checkout_rails());
}

/// Adds `rule` to the component schema `name`: `{allOf: [schema, rule]}`.
fn also(doc: &mut Value, name: &str, rule: Value) {
    let Some(schema) = doc
        .pointer_mut("/components/schemas")
        .and_then(|s| s.get_mut(name))
    else {
        return;
    };
    match schema.get_mut("allOf").and_then(Value::as_array_mut) {
        Some(all) => all.push(rule),
        None => *schema = json!({ "allOf": [schema.take(), rule] }),
    }
}

/// An endpoint lists 1 to 20 known event types (or `*`), unless it is a ProxyPay endpoint,
/// which receives settled payments by reference whatever it lists (`Engine::create_endpoint`).
fn endpoint_events() -> Value {
    let mut types = kumbu_engine::event_types();
    types.insert(0, "*".to_owned());
    json!({
        "properties": {"format": {"enum": ["native", "proxypay"]}},
        "if": {"properties": {"format": {"const": "proxypay"}}, "required": ["format"]},
        "else": {
            "required": ["events"],
            "properties": {"events": {
                "type": "array", "minItems": 1, "maxItems": kumbu_engine::MAX_ENDPOINT_EVENTS,
                "items": {"enum": types}
            }}
        }
    })
}

/// Matching an exception by hand names the bill; returning one names none.
fn resolution_needs_a_bill() -> Value {
    json!({
        "if": {"properties": {"resolution": {"const": "matched"}}},
        "then": {
            "required": ["collection_request_id"],
            "properties": {"collection_request_id": {"type": "string"}}
        },
        "else": {"properties": {"collection_request_id": {"type": "null"}}}
    })
}

/// A bill offers at least one way to pay; SIMO/ERV references are paid in MZN; a reference is
/// given only to reuse one.
fn collection_request() -> Vec<Value> {
    vec![
        json!({"properties": {"methods": {"minItems": 1}}}),
        json!({
            "if": {"properties": {"methods": {"contains": {"const": CollectionMethod::SimoErv.as_str()}}}},
            "then": {"properties": {"currency": {"const": Currency::Mzn.code()}}}
        }),
        json!({
            "if": {"properties": {"erv_reference": {"type": "string"}}, "required": ["erv_reference"]},
            "then": {"required": ["allow_reuse"], "properties": {"allow_reuse": {"const": true}}}
        }),
    ]
}

/// A checkout page has an amount or line items, takes a currency some (non-test) push operator
/// collects, offers only push operators that collect it, and its amount is within their
/// limits (`Engine::create_session`).
fn checkout_rails() -> Value {
    let push: Vec<_> = Operator::ALL
        .into_iter()
        .map(Operator::defaults)
        .filter(|i| i.kind == RailKind::MobileMoneyPush)
        .collect();
    let catalogue = kumbu_core::Catalogue::default();
    let per_currency: Vec<Value> = Currency::ALL
        .into_iter()
        .filter(|c| !catalogue.push_operators_for(*c).is_empty())
        .filter_map(|c| {
            let ops: Vec<&str> = push
                .iter()
                .filter(|i| i.currencies.contains(&c))
                .map(|i| i.operator.code())
                .collect();
            let offered: Vec<_> = catalogue
                .push_operators_for(c)
                .into_iter()
                .map(|o| catalogue.get(o))
                .collect();
            // Without `operators` every offered operator must take the amount; with them, each
            // one listed must (`if operators contains o then o's range`, per operator).
            // scripts/contract_hooks.py keeps generated amounts within the listed operators'
            // ranges, as it keeps whole numbers integers, where the generator would not.
            let every = (
                offered.iter().map(|i| i.min_amount).max(),
                offered.iter().map(|i| i.max_amount).min(),
            );
            let each_listed: Vec<Value> = push
                .iter()
                .filter(|i| i.currencies.contains(&c))
                .map(|i| catalogue.get(i.operator))
                .map(|i| {
                    json!({
                        "if": {"properties": {"operators": {"contains": {"const": i.operator.code()}}}},
                        "then": {"properties": {"amount": {"minimum": i.min_amount, "maximum": i.max_amount}}}
                    })
                })
                .collect();
            (!ops.is_empty()).then(|| {
                json!({
                    "properties": {
                        "currency": {"const": c.code()},
                        "operators": {"type": ["array", "null"], "items": {"enum": ops}}
                    },
                    "if": {"properties": {"operators": {"type": "array", "minItems": 1}}, "required": ["operators"]},
                    "then": {"allOf": each_listed},
                    "else": {"properties": {"amount": {"minimum": every.0, "maximum": every.1}}}
                })
            })
        })
        .collect();
    json!({
        "oneOf": per_currency,
        "properties": {"items": {"maxItems": kumbu_engine::MAX_ITEMS}},
        "anyOf": [
            {"required": ["amount"], "properties": {"amount": {"type": "integer"}}},
            {"required": ["items"], "properties": {"items": {"type": "array", "minItems": 1}}}
        ]
    })
}
