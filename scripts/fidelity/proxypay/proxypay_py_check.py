#!/usr/bin/env python3
"""Fidelity harness: drives PyPI `proxypay-py` 1.0.0 (module proxypay), unchanged but for its
endpoint (the library only knows ProxyPay's two hosts; a merchant moving to Kumbu sets
`endpoint`), against Kumbu's ProxyPay face with a live key, while Kumbu issues the live
references at its gateway (another Kumbu playing ProxyPay): a reference id generated, a reference
created (at the gateway too), a payer paying it at the gateway, the payment arriving by ProxyPay's
webhook and read from Kumbu's queue by the library, acknowledged, and the reference deleted (at
the gateway too).

Env: KUMBU_PROXYPAY_URL, KUMBU_LIVE_KEY, GATEWAY_URL, GATEWAY_KEY; PROXYPAY_FIDELITY_SKIP.
"""
import json
import os
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, expect, summary  # noqa: E402

from proxypay import ProxyPay  # noqa: E402

KUMBU = os.environ["KUMBU_PROXYPAY_URL"].rstrip("/")
LIVE = os.environ["KUMBU_LIVE_KEY"]
GATEWAY = os.environ["GATEWAY_URL"].rstrip("/")
GATEWAY_KEY = os.environ["GATEWAY_KEY"]


def gateway(method, path, body=None, auth="Bearer"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{GATEWAY}{path}", data=data, method=method, headers={
        "Content-Type": "application/json", "Accept": "application/vnd.proxypay.v2+json",
        "Authorization": f"{auth} {GATEWAY_KEY}"})
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


pp = ProxyPay(LIVE, True)
pp.endpoint = KUMBU
state = {}


def generate_a_reference_id():
    rid = pp.generate_reference_id()
    expect(isinstance(rid, int) and 1 <= rid <= 999999999, rid)
    state["rid"] = rid


def create_a_reference_issued_at_the_gateway():
    r = pp.create_reference(state["rid"], {"invoice": "FT 2026/9"}, 1500.5)
    expect(r == {"success": True}, r)
    at = gateway("GET", f"/v1/references/{state['rid']:09d}")
    expect(at["amount"] == 150050 and at["status"] == "active", at)
    expect(at["custom_fields"] == {"invoice": "FT 2026/9"}, at)


def a_refused_reference_is_the_library_s_400():
    r = pp.create_reference(state["rid"], None, 0.001)
    expect(r["success"] is False and isinstance(r["reason"], list), r)


def the_payment_arrives_and_is_acknowledged():
    paid = gateway("POST", "/compat/proxypay/payments",
                   {"reference_id": state["rid"], "amount": "1500.50"}, auth="Token")
    for _ in range(100):
        got = pp.get_payments()
        expect(got["success"], got)
        mine = [p for p in got["data"] if p["reference_id"] == state["rid"]]
        if mine:
            break
        time.sleep(0.1)
    expect(len(mine) == 1, got)
    p = mine[0]
    expect(p["id"] == paid["id"] and p["amount"] == "1500.50", (p, paid))
    expect(p["custom_fields"] == {"invoice": "FT 2026/9"}, p)
    expect(pp.acknowledge_payment(p["id"]) == {"success": True}, "ack")
    left = [x for x in pp.get_payments()["data"] if x["id"] == p["id"]]
    expect(left == [], left)


def delete_the_reference_at_the_gateway_too():
    rid = pp.generate_reference_id()
    expect(pp.create_reference(rid, None, 10.0) == {"success": True}, "create")
    expect(pp.delete_reference(rid) == {"success": True}, "delete")
    at = gateway("GET", f"/v1/references/{rid:09d}")
    expect(at["status"] == "deleted", at)


for name, fn in [
    ("generate_a_reference_id", generate_a_reference_id),
    ("create_a_reference_issued_at_the_gateway", create_a_reference_issued_at_the_gateway),
    ("a_refused_reference_is_the_library_s_400", a_refused_reference_is_the_library_s_400),
    ("the_payment_arrives_and_is_acknowledged", the_payment_arrives_and_is_acknowledged),
    ("delete_the_reference_at_the_gateway_too", delete_the_reference_at_the_gateway_too),
]:
    check(name, fn)
sys.exit(summary("proxypay-py 1.0.0"))
