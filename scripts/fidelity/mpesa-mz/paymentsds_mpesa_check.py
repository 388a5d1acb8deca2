#!/usr/bin/env python3
"""Fidelity harness: drives PyPI `paymentsds-mpesa` 0.1a10 (module paymentsds.mpesa), unchanged,
against the running M-Pesa simulator (`kumbu simulate mpesa-mz --host 127.0.0.1`), as a
merchant's code would: all four operations the library has for M-Pesa Mozambique — receive
(C2B single stage, held until the payer answers), send (B2C), query (the status) and revert (a
reversal) — with the library's own Bearer (the API key RSA-encrypted under the simulator's public
key), its fixed ports (18352, 18345, 18353, 18354) over plain http, its validation, and what it
makes of refusals, duplicates and a read timeout.

Env: MPESA_SIM_HOST (`http://127.0.0.1`), MPESA_API_KEY (a key the simulator takes);
MPESA_FIDELITY_SKIP (comma-separated check-name prefixes to skip).

Where the library departs from M-Pesa's documentation, the harness checks what it then does, so
that the departure stays written down:
- `Response.data` never holds `output_TransactionID` (it tests `hasattr` on a dict), nor a
  query's `output_ResponseTransactionStatus`: the harness reads those from the simulator's
  control endpoint, to reverse a payment and to see what a query found.
- it validates amounts with `^[1-9][0-9]*(\\.[0-9])*$`, so `10.50` is refused before any call
  (`ValidationError`) while `10.5` is sent.
"""
import json
import os
import sys
import time
import urllib.request
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, expect, summary  # noqa: E402

import requests  # noqa: E402
from paymentsds.mpesa import Client  # noqa: E402
from paymentsds.mpesa.exceptions import ValidationError  # noqa: E402

HOST = os.environ["MPESA_SIM_HOST"].rstrip("/")
KEY = os.environ["MPESA_API_KEY"]
CONTROL = f"{HOST}:18353"


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{CONTROL}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


PUBLIC_KEY = control("GET", "/_simulator/public_key")["public_key"]


def client(api_key=KEY, timeout=0):
    return Client(host=HOST, api_key=api_key, public_key=PUBLIC_KEY,
                  service_provider_code="171717", initiator_identifier="fidelity-initiator",
                  security_credential="Mpesa2019", timeout=timeout)


def ref(prefix):
    return prefix + uuid.uuid4().hex[:12]


mpesa = client()
state = {}


def receive_pays():
    reference = ref("C")
    started = time.monotonic()
    r = mpesa.receive({"from": "841000001", "reference": reference, "transaction": "T1",
                       "amount": "10"})
    expect(r.success, f"not a success: {r.status}")
    expect(r.status.code == "INS-0", r.status.code)
    expect(r.data["reference"] == reference, r.data)
    expect(r.data["conversation"], r.data)
    expect(time.monotonic() - started >= 0.15, "the call was held while the payer answered")
    held = control("GET", f"/_simulator/transactions/{reference}")
    expect(held["status"] == "Completed" and held["amount"] == "10.00", held)
    expect(held["msisdn"] == "841000001", held)
    state["paid"] = held


def receive_with_country_code():
    r = mpesa.receive({"from": "258841000001", "reference": ref("C"), "transaction": "T2",
                       "amount": "25.5"})
    expect(r.success and r.status.code == "INS-0", r.status)


def receive_refused_by_the_payer():
    r = mpesa.receive({"from": "841000039", "reference": ref("C"), "transaction": "T3",
                       "amount": "10"})
    expect(not r.success and r.status.code == "INS-5", r.status)
    expect(r.status.description == "Transaction cancelled by customer", r.status)


def receive_insufficient_balance():
    r = mpesa.receive({"from": "841000049", "reference": ref("C"), "transaction": "T4",
                       "amount": "10"})
    expect(not r.success and r.status.code == "INS-2006", r.status)


def receive_twice_is_a_duplicate():
    reference = ref("C")
    body = {"from": "841000001", "reference": reference, "transaction": "T5", "amount": "10"}
    expect(mpesa.receive(body).success, "first")
    r = mpesa.receive(body)
    expect(not r.success and r.status.code == "INS-10", r.status)
    expect(r.status.description == "Duplicate Transaction", r.status)


def a_long_transaction_reference_is_refused():
    r = mpesa.receive({"from": "841000001", "reference": ref("C"), "transaction": "T" * 21,
                       "amount": "10"})
    expect(not r.success and r.status.code == "INS-17", r.status)


def the_library_validates_numbers_and_amounts():
    for bad in ({"from": "821000001"}, {"amount": "10.50"}):
        body = {"from": "841000001", "reference": ref("C"), "transaction": "T6", "amount": "10"}
        body.update(bad)
        try:
            mpesa.receive(body)
        except ValidationError:
            continue
        raise AssertionError(f"{bad} was sent")


def a_wrong_api_key_is_refused():
    r = client(api_key="not-the-key").receive({"from": "841000001", "reference": ref("C"),
                                               "transaction": "T7", "amount": "10"})
    expect(not r.success and r.status.code == "INS-2", r.status)
    expect(r.status.description == "Invalid API Key", r.status)


def query_finds_a_payment():
    paid = state["paid"]
    for subject in (paid["third_party_reference"], paid["transaction_id"],
                    paid["conversation_id"]):
        r = mpesa.query({"subject": subject, "reference": ref("Q")})
        expect(r.success and r.status.code == "INS-0", r.status)


def query_of_an_unknown_reference():
    r = mpesa.query({"subject": ref("NOBODY"), "reference": ref("Q")})
    expect(r.success and r.status.code == "INS-0", r.status)


def a_timeout_leaves_a_payment_that_the_query_finds():
    reference = ref("C")
    slow = client(timeout=0.3)  # the payer …149 answers after three prompt times
    try:
        slow.receive({"from": "841000149", "reference": reference, "transaction": "T8",
                      "amount": "10"})
    except requests.exceptions.ReadTimeout:
        pass
    else:
        raise AssertionError("the call answered before the payer did")
    for _ in range(50):
        held = control("GET", f"/_simulator/transactions/{reference}")
        if held["status"] != "Pending":
            break
        time.sleep(0.1)
    expect(held["status"] == "Completed", held)
    r = mpesa.query({"subject": reference, "reference": ref("Q")})
    expect(r.success, r.status)


def send_pays_a_customer():
    reference = ref("B")
    r = mpesa.send({"to": "851000002", "reference": reference, "transaction": "T9",
                    "amount": "10"})
    expect(r.success and r.status.code == "INS-0", r.status)
    held = control("GET", f"/_simulator/transactions/{reference}")
    expect(held["status"] == "Completed" and held["msisdn"] == "851000002", held)
    r = mpesa.send({"to": "851000002", "reference": reference, "transaction": "T9",
                    "amount": "10"})
    expect(not r.success and r.status.code == "INS-10", r.status)


def revert_gives_back_in_part_then_no_more():
    paid = state["paid"]
    r = mpesa.revert({"reference": ref("R"), "transaction": paid["transaction_id"],
                      "amount": "4"})
    expect(r.success and r.status.code == "INS-0", r.status)
    r = mpesa.revert({"reference": ref("R"), "transaction": paid["transaction_id"],
                      "amount": "7"})
    expect(not r.success and r.status.code == "INS-15", r.status)
    held = control("GET", f"/_simulator/transactions/{paid['third_party_reference']}")
    expect(held["reversed"] == "4.00", held)


def revert_of_an_unknown_transaction():
    r = mpesa.revert({"reference": ref("R"), "transaction": "NOSUCHTX", "amount": "1"})
    expect(not r.success and r.status.code == "INS-18", r.status)


def revert_with_a_wrong_credential():
    wrong = Client(host=HOST, api_key=KEY, public_key=PUBLIC_KEY,
                   service_provider_code="171717", initiator_identifier="fidelity-initiator",
                   security_credential="wrong")
    r = wrong.revert({"reference": ref("R"), "transaction": state["paid"]["transaction_id"],
                      "amount": "1"})
    expect(not r.success and r.status.code == "INS-25", r.status)


for name, fn in [
    ("receive_pays", receive_pays),
    ("receive_with_country_code", receive_with_country_code),
    ("receive_refused_by_the_payer", receive_refused_by_the_payer),
    ("receive_insufficient_balance", receive_insufficient_balance),
    ("receive_twice_is_a_duplicate", receive_twice_is_a_duplicate),
    ("a_long_transaction_reference_is_refused", a_long_transaction_reference_is_refused),
    ("the_library_validates_numbers_and_amounts", the_library_validates_numbers_and_amounts),
    ("a_wrong_api_key_is_refused", a_wrong_api_key_is_refused),
    ("query_finds_a_payment", query_finds_a_payment),
    ("query_of_an_unknown_reference", query_of_an_unknown_reference),
    ("a_timeout_leaves_a_payment_that_the_query_finds",
     a_timeout_leaves_a_payment_that_the_query_finds),
    ("send_pays_a_customer", send_pays_a_customer),
    ("revert_gives_back_in_part_then_no_more", revert_gives_back_in_part_then_no_more),
    ("revert_of_an_unknown_transaction", revert_of_an_unknown_transaction),
    ("revert_with_a_wrong_credential", revert_with_a_wrong_credential),
]:
    check(name, fn)

stats = control("GET", "/_simulator/stats")
check("the_simulator_saw_every_operation",
      lambda: expect(stats["c2b_requests"] >= 8 and stats["b2c_requests"] >= 2
                     and stats["reversals"] == 1 and stats["queries"] >= 5
                     and stats["auth_failures"] == 1, stats))
sys.exit(summary("paymentsds-mpesa 0.1a10"))
