"""schemathesis hooks for scripts/contract.sh (loaded through SCHEMATHESIS_HOOKS).

Two refusals every face makes by design would otherwise stop many generated requests before
the operation reads them (so less of it would be tested), and recording them in the baseline
would take entries as broad as "any 400 on any operation". So each request generated to fit the
schema is sent

- with a fresh Idempotency-Key: generated keys repeat ("0", "null") with other bodies, and a
  key reused for another request is refused (400), as every face documents; reuse is tested end
  to end (tests/e2e/idempotency.rs and each face's tests);
- with whole numbers written as integers (100, not 100.0): integers, amounts above all, are
  refused with a decimal point (docs/errors.md, "Numbers"), which JSON Schema's `integer`
  cannot say (it admits 100.0); that refusal is tested end to end (tests/e2e/api.rs);
- with a checkout session's amount within the range of every operator it lists: the document
  states that rule exactly (`if operators contains o then o's range`, per operator, read here
  from the document itself), but the generator does not draw amounts from such conditionals,
  so a body listing operators gets its amount clamped into their common range (or, where they
  have none, only its first operator kept). Out-of-range amounts are tested end to end
  (tests/e2e/checkout.rs).

A request generated *not* to fit the schema is sent as generated.
"""

import uuid

import schemathesis
from schemathesis.generation.modes import GenerationMode


def whole_numbers_as_integers(value):
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        return int(value)
    if isinstance(value, dict):
        return {k: whole_numbers_as_integers(v) for k, v in value.items()}
    if isinstance(value, list):
        return [whole_numbers_as_integers(v) for v in value]
    return value


# (currency, operator) → (minimum, maximum) amount, read from the document's rules.
RANGES = {}


def read_ranges(node):
    """Collects every `{currency: const C, then: {allOf: [if operators contains o → amount
    range]}}` rule of the document into RANGES."""
    if isinstance(node, dict):
        currency = ((node.get("properties") or {}).get("currency") or {}).get("const")
        for rule in ((node.get("then") or {}).get("allOf") or []) if currency else []:
            contains = (((rule.get("if") or {}).get("properties") or {}).get("operators") or {}).get("contains") or {}
            amount = ((rule.get("then") or {}).get("properties") or {}).get("amount") or {}
            if "const" in contains and "minimum" in amount and "maximum" in amount:
                RANGES[(currency, contains["const"])] = (amount["minimum"], amount["maximum"])
        for v in node.values():
            read_ranges(v)
    elif isinstance(node, list):
        for v in node:
            read_ranges(v)


@schemathesis.hook
def before_load_schema(context, raw_schema):
    read_ranges(raw_schema)


def within_listed_operators(body):
    """Clamps a body's amount into the range of every operator it lists (see the module doc)."""
    operators, amount = body.get("operators"), body.get("amount")
    if not isinstance(operators, list) or not operators or type(amount) is not int:
        return
    ranges = [RANGES.get((body.get("currency"), o)) for o in operators]
    if None in ranges:
        return
    low, high = max(r[0] for r in ranges), min(r[1] for r in ranges)
    if low > high:
        body["operators"] = operators[:1]
        low, high = ranges[0]
    body["amount"] = min(max(amount, low), high)


@schemathesis.hook
def before_call(context, case, kwargs):
    meta = getattr(case, "meta", None)
    if meta is not None and meta.generation.mode == GenerationMode.NEGATIVE:
        return
    headers = case.headers or {}
    for name in [k for k in headers if k.lower() == "idempotency-key"]:
        headers[name] = str(uuid.uuid4())
    if isinstance(case.body, (dict, list)):
        case.body = whole_numbers_as_integers(case.body)
    if isinstance(case.body, dict):
        within_listed_operators(case.body)
