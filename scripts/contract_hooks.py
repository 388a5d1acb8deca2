"""schemathesis hooks for scripts/contract.sh (loaded through SCHEMATHESIS_HOOKS).

Three refusals every face makes by design would otherwise stop many generated requests before
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

Some operations accept a request only given state the generator cannot make (a settled payment
to refund, a payment waiting for a person to cancel, real credentials for a token):
scripts/contract_fixtures.py makes it before the run and names it in the file CONTRACT_FIXTURES
points to. Every other schema-valid request of such an operation, the first included, is patched
with the next fixture (its path parameters and body fields), so that the operation is proved to
accept a request and not only to refuse unknown ids; fixtures a request uses up are used once.
Likewise a list's cursor (`starting_after`, Kulpay's `page_token`, Adullam's `cursor`) names an
object or a page the server handed out, so a generated one is refused (404, 400) by design:
every other schema-valid request carrying one is sent without it (the first page), so that
every list is proved to answer one.
"""

import json
import os
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
    operators, amount, currency = body.get("operators"), body.get("amount"), body.get("currency")
    # Only a body of the shape the rule speaks of: operator codes and a currency (a face that
    # admits any property may send `operators` holding anything).
    if (
        not isinstance(operators, list)
        or not operators
        or not all(isinstance(o, str) for o in operators)
        or not isinstance(currency, str)
        or type(amount) is not int
    ):
        return
    ranges = [RANGES.get((currency, o)) for o in operators]
    if None in ranges:
        return
    low, high = max(r[0] for r in ranges), min(r[1] for r in ranges)
    if low > high:
        body["operators"] = operators[:1]
        low, high = ranges[0]
    body["amount"] = min(max(amount, low), high)


def load_fixtures():
    path = os.environ.get("CONTRACT_FIXTURES")
    if not path:
        return {}
    with open(path) as f:
        return json.load(f)


FIXTURES = load_fixtures()
# Schema-valid requests seen so far, per operation with fixtures.
SEEN = {}


def with_fixture(case):
    """Patches every other schema-valid request of an operation with fixtures (see above)."""
    operation = f"{case.method.upper()} {case.path}"
    fixture = FIXTURES.get(operation)
    if not fixture or not fixture["patches"]:
        return
    n = SEEN.get(operation, 0)
    SEEN[operation] = n + 1
    if n % 2:
        return
    patches = fixture["patches"]
    patch = patches[(n // 2) % len(patches)] if fixture["reuse"] else patches.pop(0)
    for key, value in patch.items():
        where, _, name = key.partition(".")
        if where == "path":
            case.path_parameters[name] = value
        elif where == "body" and isinstance(case.body, dict):
            case.body[name] = value


CURSORS = ("starting_after", "page_token", "cursor")
# Schema-valid requests with a cursor seen so far, per operation.
WITH_CURSOR = {}


def first_page(case):
    """Drops a generated cursor from every other schema-valid request that has one."""
    if not isinstance(case.query, dict) or not any(c in case.query for c in CURSORS):
        return
    operation = f"{case.method.upper()} {case.path}"
    n = WITH_CURSOR.get(operation, 0)
    WITH_CURSOR[operation] = n + 1
    if n % 2 == 0:
        for c in CURSORS:
            case.query.pop(c, None)


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
    with_fixture(case)
    first_page(case)
