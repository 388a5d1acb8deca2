#!/usr/bin/env python3
"""Judges a schemathesis JUnit report: fails on every failure the baseline does not record, and
on a run that did not test what the document describes.

Usage: contract-check.py FACE REPORT.xml BASELINE.toml DOCUMENT.json

The run must have tested every operation of the document, and the stateful phase, and no
operation may have errored (an unresolvable schema, a network error). A failure is one numbered
test case under an operation: its checks (ST202, ...), its request (the `curl` line) and its
response. A baseline entry records one exception a face's documented behaviour makes:

    [[exception]]
    face = "proxypay"
    operation = "PUT /references/{id}"   # or "*": every operation of the face
    check = "ST202"
    response = "end_datetime"           # text the failing response must contain
    request = "items"                   # optional: text the failing request must contain
    reason = "why the documented behaviour contradicts the check"

A failing case passes only if every one of its checks is recorded for its operation, with its
response (and request) containing the entry's texts. Entries never seen are listed.
"""

import json
import re
import sys
import tomllib
import xml.etree.ElementTree as ET

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def cases(report):
    return list(ET.parse(report).getroot().iter("testcase"))


def errors(report):
    """Operations schemathesis could not test."""
    for case in cases(report):
        for error in case.iter("error"):
            yield case.get("name"), (error.text or error.get("message") or "").strip()


def split(block):
    """(response, request) of one failing case's text."""
    response = re.search(r"(?ms)^\[\d{3}\].*?(?=^Reproduce with:|\Z)", block)
    request = re.search(r"(?ms)^Reproduce with:.*", block)
    return (response.group(0) if response else ""), (request.group(0) if request else "")


def failures(report):
    for case in cases(report):
        for failure in case.iter("failure"):
            text = failure.text or ""
            declared = set(re.findall(r"ST\d+", failure.get("message") or ""))
            blocks = [b for b in re.split(r"(?m)^\d+\. Test Case ID: ", text) if b.strip()]
            if not blocks:
                yield case.get("name"), sorted(declared) or ["(unparsed)"], text, "", ""
            for block in blocks:
                codes = sorted(set(re.findall(r"(?m)^- (ST\d+)\b", block)))
                response, request = split(block)
                yield case.get("name"), codes or ["(unparsed)"], block, response, request


def main():
    face, report, baseline, document = sys.argv[1:5]
    with open(baseline, "rb") as f:
        entries = [e for e in tomllib.load(f).get("exception", []) if e["face"] == face]
    for e in entries:
        if not e.get("reason", "").strip() or not e.get("response", "").strip():
            sys.exit(f"baseline entry without a reason or a response text: {e}")
    with open(document) as f:
        doc = json.load(f)
    operations = {
        f"{method.upper()} {path}"
        for path, item in doc.get("paths", {}).items()
        for method in item
        if method in METHODS
    }
    tested = {c.get("name") for c in cases(report) if c.find("skipped") is None}
    problems = []
    untested = sorted(operations - tested)
    if untested:
        problems.append(f"operations never tested: {', '.join(untested)}")
    if "Stateful tests" not in tested:
        problems.append("the stateful phase did not run")
    for operation, text in sorted(set(errors(report))):
        problems.append(f"{operation} could not be tested:\n{text}")
    if problems:
        print(f"\n{face}: the run did not test the document:\n- " + "\n- ".join(problems))
        sys.exit(1)
    seen = set()
    unexplained = []
    total = 0
    for operation, codes, block, response, request in failures(report):
        total += 1
        ok = True
        for code in codes:
            match = [
                i
                for i, e in enumerate(entries)
                if e["operation"] in (operation, "*")
                and e["check"] == code
                and e["response"] in response
                and e.get("request", "") in request
            ]
            if match:
                seen.update(match)
            else:
                ok = False
        if not ok:
            unexplained.append((operation, codes, block))
    for i, e in enumerate(entries):
        if i not in seen:
            print(f"note: baseline entry not seen this run: {e['operation']} {e['check']} ({e['response']!r})")
    if unexplained:
        print(f"\n{face}: {len(unexplained)} of {total} failures are not in {baseline}:")
        for operation, codes, block in unexplained:
            print(f"\n--- {operation}: {', '.join(codes)}\n{block.strip()}")
        sys.exit(1)
    print(
        f"{face}: contract holds ({len(operations)} operations and the stateful phase tested; "
        f"{total} failures, each recorded in {baseline} with its reason)"
    )


if __name__ == "__main__":
    main()
