#!/usr/bin/env python3
"""Judges a schemathesis run from its NDJSON report: fails on every failed check the baseline
does not record, and on a run that did not test what the document describes.

Usage: contract-check.py FACE REPORT.ndjson BASELINE.toml DOCUMENT.json
       contract-check.py --unseen BASELINE.toml FACE=REPORT.ndjson...

The NDJSON report holds every test case schemathesis ran and every check's result, so each
failing check of each case is judged on its own (the console and JUnit reports keep one failure
per operation, check and status: an expected failure there could hide an unexpected one; with
`--continue-on-failure` no phase stops an operation at its first failure either, though the
stateful phase still records one failure per operation, check and status). The run must have
tested every operation of the document, each with at least one request it accepted (2xx: an
operation that only ever refused was not tested; one whose document lists no 2xx is exempt),
and the stateful phase, and nothing may have
errored (an unresolvable schema, a network error). A baseline entry records one exception a
face's documented behaviour makes:

    [[exception]]
    face = "proxypay"
    operation = "PUT /references/{id}"   # in every phase, the stateful one too; "*": every one
    check = "ST202"
    status = 400                        # the failing response's status
    param = "end_datetime"              # the parameter the response names (`param`, `field`);
                                        # absent: the response must name none
    response = "is in the past"         # text the failing response's body must contain
    request = "items"                   # optional: text the failing request must contain
    request_lacks = "currency"          # optional: text the failing request must not contain
    reason = "why the documented behaviour contradicts the check"

    [[unaccepted]]                      # an operation no generated request can get accepted
    face = "native"
    operation = "GET /v1/connectors"
    reason = "live-only: a test key is refused by design; tests/e2e/live/ covers it"

A failed check passes only if an entry records it for its operation, status and parameter,
with its response (and request) containing the entry's texts. Entries never seen are listed but
never fail a run (fuzzing is random; CI stays deterministic); `--unseen` lists the entries no
report of a long run met, so that they can be removed (scripts/contract-unseen.sh).
"""

import base64
import json
import sys
import tomllib
from collections import Counter

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def text(content):
    """A recorded body as text."""
    if isinstance(content, dict) and "$base64" in content:
        return base64.b64decode(content["$base64"]).decode("utf-8", "replace")
    return "" if content is None else str(content)


def events(report):
    with open(report) as f:
        for line in f:
            if line.strip():
                ((kind, event),) = json.loads(line).items()
                yield kind, event


def params(body):
    """The parameters an error body names: every `param` or `field` in it, at any depth (native,
    Simiz: `error.param`; Adullam, Kulpay: `error.field`; ProxyPay: a list of `{param, …}`)."""
    try:
        value = json.loads(body)
    except ValueError:
        return set()
    found = set()

    def walk(v):
        if isinstance(v, dict):
            for k, x in v.items():
                if k in ("param", "field") and isinstance(x, str):
                    found.add(x)
                else:
                    walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(value)
    return found


def read(report):
    """(tested operations, problems, failed checks) of a run."""
    tested, problems, failed = set(), [], []
    for kind, event in events(report):
        if kind == "NonFatalError":
            problems.append(f"{event.get('label')} could not be tested: {json.dumps(event.get('value'))[:2000]}")
        if kind != "ScenarioFinished":
            continue
        recorder = event["recorder"]
        label = recorder["label"]
        if event["status"] == "error":
            problems.append(f"{label} errored in the {event['phase']} phase")
        # Tested: it ran and at least one request of it was accepted (2xx); a step of the
        # stateful phase that was accepted counts for the operation it called, too.
        for case_id, interaction in recorder.get("interactions", {}).items():
            status = ((interaction or {}).get("response") or {}).get("status_code", 0)
            if event["status"] in ("skip", "interrupted") or not 200 <= status < 300:
                continue
            tested.add(label)
            case = (recorder.get("cases", {}).get(case_id) or {}).get("value") or {}
            if case.get("method") and case.get("path"):
                tested.add(f"{case['method'].upper()} {case['path']}")
        for case_id, checks in recorder.get("checks", {}).items():
            for check in checks:
                if check["status"] == "success":
                    continue
                failure = (check.get("failure_info") or {}).get("failure") or {}
                interaction = recorder.get("interactions", {}).get(case_id) or {}
                case = (recorder.get("cases", {}).get(case_id) or {}).get("value") or {}
                request = interaction.get("request") or {}
                response = interaction.get("response") or {}
                failed.append(
                    {
                        "operation": label,
                        # The operation a stateful step called.
                        "step": f"{case.get('method', '').upper()} {case.get('path', '')}",
                        "check": failure.get("code") or f"({check['name']}: {check['status']})",
                        "title": failure.get("title", check["name"]),
                        "request": f"{request.get('method', '')} {request.get('uri', '')} {text(request.get('body'))}".strip(),
                        "status": response.get("status_code"),
                        "response": text(response.get("content")),
                        "params": params(text(response.get("content"))),
                        "message": failure.get("message", ""),
                    }
                )
    return tested, problems, failed


def load(baseline, face):
    """The baseline's entries for `face`, each checked for what it must state."""
    with open(baseline, "rb") as f:
        entries = [e for e in tomllib.load(f).get("exception", []) if e["face"] == face]
    for e in entries:
        if not e.get("reason", "").strip() or not e.get("response", "").strip():
            sys.exit(f"baseline entry without a reason or a response text: {e}")
        if not isinstance(e.get("status"), int):
            sys.exit(f"baseline entry without the status it answers: {e}")
    return entries


def load_unaccepted(baseline, face):
    """The baseline's `[[unaccepted]]` operations for `face`: ones no generated request can get
    accepted (a live-only operation under a test key, one that needs state the generator
    cannot make), each with its reason and the test that covers it instead."""
    with open(baseline, "rb") as f:
        entries = [u for u in tomllib.load(f).get("unaccepted", []) if u["face"] == face]
    for u in entries:
        if not u.get("reason", "").strip():
            sys.exit(f"[[unaccepted]] entry without a reason: {u}")
    return entries


def matches(e, f):
    """Whether entry `e` records failed check `f`."""
    return (
        e["operation"] in (f["operation"], f["step"], "*")
        and e["check"] == f["check"]
        and e["status"] == f["status"]
        and ({e["param"]} if "param" in e else set()) == f["params"]
        and e["response"] in f["response"]
        and e.get("request", "") in f["request"]
        and ("request_lacks" not in e or e["request_lacks"] not in f["request"])
    )


def unseen(baseline, runs):
    """Lists the entries that no report of `runs` (FACE=REPORT) met; exits 0."""
    reports = {}
    for run in runs:
        face, report = run.split("=", 1)
        reports.setdefault(face, []).append(report)
    never = 0
    for face, paths in sorted(reports.items()):
        entries = load(baseline, face)
        seen = set()
        for path in paths:
            for f in read(path)[2]:
                seen.update(i for i, e in enumerate(entries) if matches(e, f))
        for i, e in enumerate(entries):
            if i not in seen:
                never += 1
                print(f"never met: {face} {e['operation']} {e['check']} {e['status']} ({e['response']!r})")
    print(f"{never} baseline entries never met in {sum(map(len, reports.values()))} reports")


def main():
    if sys.argv[1:2] == ["--unseen"]:
        return unseen(sys.argv[2], sys.argv[3:])
    face, report, baseline, document = sys.argv[1:5]
    entries = load(baseline, face)
    with open(document) as f:
        doc = json.load(f)
    operations = {
        f"{method.upper()} {path}"
        for path, item in doc.get("paths", {}).items()
        for method in item
        if method in METHODS
    }
    # An operation whose document lists no 2xx answer (ProxyPay's GET /references/{id}: "404
    # whatever the reference") cannot accept a request by definition.
    refusing = {
        f"{method.upper()} {path}"
        for path, item in doc.get("paths", {}).items()
        for method, op in item.items()
        if method in METHODS and not any(str(c).startswith("2") for c in op.get("responses", {}))
    }
    tested, problems, failed = read(report)
    # Operations no generated request can get accepted, by design, each with its reason.
    unaccepted = {u["operation"]: u["reason"] for u in load_unaccepted(baseline, face)}
    for operation in sorted(unaccepted):
        if operation not in operations:
            sys.exit(f"{face}: [[unaccepted]] names {operation}, which the document does not have")
        if operation in tested:
            print(f"note: {operation} was accepted this run, though [[unaccepted]] says none can be")
    untested = sorted(operations - tested - set(unaccepted) - refusing)
    if untested:
        problems.append(f"operations with no request accepted (2xx): {', '.join(untested)}")
    if "Stateful tests" not in tested:
        problems.append("the stateful phase did not run")
    seen = set()
    unexplained = Counter()
    for f in failed:
        match = [i for i, e in enumerate(entries) if matches(e, f)]
        seen.update(match)
        if not match:
            where = f["operation"] if f["operation"] == f["step"] else f"{f['operation']}: {f['step']}"
            named = ", ".join(sorted(f["params"])) or "none"
            key = (where, f["check"], f["title"], f["message"], f"{f['status']}, param {named}", f["response"][:2000])
            unexplained[key, f["request"][:2000]] += 1
    for i, e in enumerate(entries):
        if i not in seen:
            print(f"note: baseline entry not seen this run: {e['operation']} {e['check']} ({e['response']!r})")
    if unexplained:
        print(f"\n{face}: {sum(unexplained.values())} of {len(failed)} failed checks are not in {baseline}:")
        for ((operation, check, title, message, status, response), request), n in unexplained.items():
            print(
                f"\n--- {operation}: {check} {title} ({n}×)\n{message}\n"
                f"request: {request}\nresponse: [{status}] {response}"
            )
    if problems:
        print(f"\n{face}: the run did not test the document:\n- " + "\n- ".join(problems))
    if unexplained or problems:
        sys.exit(1)
    print(
        f"{face}: contract holds ({len(operations & tested)} of {len(operations)} operations accepted a "
        f"request ({len(unaccepted)} cannot by design, {len(refusing)} document no 2xx), and the "
        "stateful phase ran; "
        f"{len(failed)} failed checks, each recorded in {baseline} with its reason)"
    )


if __name__ == "__main__":
    main()
