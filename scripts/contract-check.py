#!/usr/bin/env python3
"""Reads a schemathesis JUnit report and fails on every failure the baseline does not record.

Usage: contract-check.py FACE REPORT.xml BASELINE.toml

A failure is one numbered test case under an operation: its checks (ST202, ...) and its
response. A baseline entry records one exception a face's documented wire behaviour makes:

    [[exception]]
    face = "proxypay"
    operation = "PUT /references/{id}"   # or "*": every operation of the face
    check = "ST202"
    response = "end_datetime"   # text the failing response must contain
    reason = "why the documented behaviour contradicts the check"

A failing case passes only if every one of its checks is recorded for its operation and its
response contains the entry's text. Entries never seen are listed (fuzzing is random), not
failed.
"""

import re
import sys
import tomllib
import xml.etree.ElementTree as ET


def errors(report):
    """Operations schemathesis could not test (an unresolvable schema, a network error)."""
    root = ET.parse(report).getroot()
    for case in root.iter("testcase"):
        for error in case.iter("error"):
            yield case.get("name"), (error.text or error.get("message") or "").strip()


def failures(report):
    root = ET.parse(report).getroot()
    for case in root.iter("testcase"):
        for failure in case.iter("failure"):
            text = failure.text or failure.get("message") or ""
            for block in re.split(r"(?m)^\d+\. Test Case ID: ", text):
                checks = re.findall(r"(?m)^- (ST\d+|[A-Z][A-Za-z ]+?)(?: [A-Z][a-z].*)?$", block)
                codes = sorted(set(re.findall(r"(?m)^- (ST\d+)\b", block)))
                if not block.strip() or not (codes or checks):
                    continue
                yield case.get("name"), codes or checks, block


def main():
    face, report, baseline = sys.argv[1:4]
    with open(baseline, "rb") as f:
        entries = [e for e in tomllib.load(f).get("exception", []) if e["face"] == face]
    for e in entries:
        if not e.get("reason", "").strip():
            sys.exit(f"baseline entry without a reason: {e}")
    broken = sorted(set(errors(report)))
    if broken:
        print(f"\n{face}: {len(broken)} operations could not be tested:")
        for operation, text in broken:
            print(f"\n--- {operation}\n{text}")
        sys.exit(1)
    seen = set()
    unexplained = []
    total = 0
    for operation, codes, block in failures(report):
        total += 1
        ok = True
        for code in codes:
            match = [
                i
                for i, e in enumerate(entries)
                if e["operation"] in (operation, "*") and e["check"] == code and e["response"] in block
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
    print(f"{face}: contract holds ({total} failures, each recorded in {baseline} with its reason)")


if __name__ == "__main__":
    main()
