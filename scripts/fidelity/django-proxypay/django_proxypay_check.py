#!/usr/bin/env python3
"""Fidelity harness: drives PyPI `django-proxypay` 1.3.2 (Django app `proxypay`), unchanged, in a
minimal Django project whose PROXYPAY settings point its production base URL at Kumbu's ProxyPay
face with a live key, while Kumbu issues the live references at its gateway (another Kumbu
playing ProxyPay): `proxypay.references.create` (a reference id from Kumbu, the reference issued
at the gateway, saved in Django's database), a payer paying it at the gateway, the app's own
`check_payment` finding it in Kumbu's queue and acknowledging it, and `delete` (at the gateway
too).

Env: KUMBU_PROXYPAY_URL, KUMBU_LIVE_KEY, GATEWAY_URL, GATEWAY_KEY; PROXYPAY_FIDELITY_SKIP.
"""
import json
import os
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, expect, summary  # noqa: E402

import django  # noqa: E402
from django.conf import settings  # noqa: E402

KUMBU = os.environ["KUMBU_PROXYPAY_URL"].rstrip("/")
LIVE = os.environ["KUMBU_LIVE_KEY"]
GATEWAY = os.environ["GATEWAY_URL"].rstrip("/")
GATEWAY_KEY = os.environ["GATEWAY_KEY"]

settings.configure(
    DEBUG=False,
    SECRET_KEY="fidelity",
    USE_TZ=True,
    INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "proxypay"],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
    PROXYPAY={"PRIVATE_KEY": LIVE, "ENV": "production", "API_PRODUCTION_BASE_URL": KUMBU,
              "ENTITY": 10001},
)
django.setup()
from django.core.management import call_command  # noqa: E402

call_command("migrate", verbosity=0)
from proxypay.references import create  # noqa: E402


def gateway(method, path, body=None, auth="Bearer"):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{GATEWAY}{path}", data=data, method=method, headers={
        "Content-Type": "application/json", "Accept": "application/vnd.proxypay.v2+json",
        "Authorization": f"{auth} {GATEWAY_KEY}"})
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


state = {}


def create_a_reference_issued_at_the_gateway():
    ref = create(2500.0, {"order": "A-17"})
    expect(ref, "create returned False")
    at = gateway("GET", f"/v1/references/{int(ref.reference):09d}")
    expect(at["amount"] == 250000 and at["status"] == "active", at)
    expect(at["custom_fields"].get("order") == "A-17", at)
    expect("djpp_uuid_ref" in at["custom_fields"], at)
    state["ref"] = ref


def check_payment_finds_it_and_acknowledges_it():
    ref = state["ref"]
    expect(ref.check_payment() is False, "not paid yet")
    paid = gateway("POST", "/compat/proxypay/payments",
                   {"reference_id": int(ref.reference), "amount": "2500.00"}, auth="Token")
    for _ in range(100):
        payment = ref.check_payment()
        if payment:
            break
        time.sleep(0.1)
    expect(payment and payment["id"] == paid["id"], (payment, paid))
    expect(ref.is_paid, ref.status)
    # Acknowledged at Kumbu: no longer in its queue.
    req = urllib.request.Request(f"{KUMBU}/payments", headers={
        "Authorization": f"Token {LIVE}", "Accept": "application/vnd.proxypay.v2+json"})
    with urllib.request.urlopen(req) as r:
        left = [p for p in json.loads(r.read()) if p["id"] == paid["id"]]
    expect(left == [], left)


def delete_at_the_gateway_too():
    ref = create(100.0, {})
    expect(ref, "create returned False")
    ref.delete()
    at = gateway("GET", f"/v1/references/{int(ref.reference):09d}")
    expect(at["status"] == "deleted", at)


for name, fn in [
    ("create_a_reference_issued_at_the_gateway", create_a_reference_issued_at_the_gateway),
    ("check_payment_finds_it_and_acknowledges_it", check_payment_finds_it_and_acknowledges_it),
    ("delete_at_the_gateway_too", delete_at_the_gateway_too),
]:
    check(name, fn)
sys.exit(summary("django-proxypay 1.3.2"))
