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
  cannot say (it admits 100.0); that refusal is tested end to end (tests/e2e/api.rs).

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
