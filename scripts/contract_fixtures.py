#!/usr/bin/env python3
"""Makes the state some operations need before they can accept a request, and writes where it
is, for scripts/contract_hooks.py to use (scripts/contract.sh runs it once the gateway is up).

Usage: contract_fixtures.py FACE BASE_URL KEY OUT.json

A refund needs a settled payment, a cancel a payment nobody has answered yet, a sandbox prompt a
payment to a …009 phone, resolving an exception an ingested payment nothing matched, reading a
Simiz checkout session a session, updating
or deleting a payment record a pending record, reading a refund a refund, an access token the merchant's real credentials (CONTRACT_CLIENT_ID,
CONTRACT_CLIENT_SECRET and CONTRACT_CLIENT_PHONE, for Adullam). The generator cannot make these, so a run would only
ever meet 404s there and prove nothing of the operation. Each is made here through the API, as a
merchant would make it, and OUT.json maps an operation to patches of its generated requests:

    {"POST /v1/refunds": {"reuse": false, "patches": [{"body.payment": "pay_…"}, …]}, …}

`reuse: false` marks state a request uses up (a payment cancelled stays cancelled): each patch is
applied once. Operations not listed here are fuzzed as generated.
"""

import http.cookiejar
import json
import os
import re
import sys
import time
import urllib.parse
import urllib.request
import uuid

POOL = 12  # patches per operation that uses its state up


class Api:
    def __init__(self, base, key):
        self.base, self.key = base, key

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {self.key}")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=30) as r:
            text = r.read()
        return json.loads(text) if text else None

    def payment(self, phone):
        return self.call(
            "POST",
            "/v1/payments",
            {"amount": 5000, "currency": "XOF", "payer": {"phone": phone, "operator": "orange_ci"}},
        )["id"]

    def wait_status(self, ids, status):
        """Waits until every payment of `ids` is `status` (the contract's sandbox has no delay)."""
        deadline = time.time() + 30
        for pid in ids:
            while self.call("GET", f"/v1/payments/{pid}")["status"] != status:
                if time.time() > deadline:
                    sys.exit(f"contract fixtures: {pid} never became {status}")
                time.sleep(0.05)
        return ids

    def settled(self, n):
        return self.wait_status([self.payment("+2250700000789") for _ in range(n)], "settled")

    def waiting(self, n):
        """Payments waiting for a person (…009): cancellable, and with a sandbox prompt."""
        return self.wait_status([self.payment("+2250700000009") for _ in range(n)], "user_confirming")

    def exceptions(self, n):
        ids = []
        for i in range(n):
            ids.append(
                self.call(
                    "POST",
                    "/v1/ingested_payments",
                    {
                        "source": "Bank", "external_id": f"contract-{time.time_ns()}-{i}",
                        "amount": 1000, "currency": "MZN", "status": "completed",
                        "processed_at": "2026-09-21T10:00:00Z", "payment_method_type": "SIMO_ERV",
                        "entity_number": "90002", "reference_number": "00000000019",
                    },
                )["id"]
            )
        return ids

    def records(self, n):
        """Pending payment records (money declared to have moved outside Kumbu)."""
        body = {"account_id": "contract", "amount": 1000, "currency": "MZN", "status": "pending"}
        return [self.call("POST", "/v1/payment_records", body)["id"] for _ in range(n)]


def once(patches):
    return {"reuse": False, "patches": patches}


def again(patches):
    return {"reuse": True, "patches": patches}


def native(api):
    waiting = api.waiting(3 * POOL)
    refunds = [api.call("POST", "/v1/refunds", {"payment": p, "amount": 100})["id"] for p in api.settled(2)]
    return {
        "POST /v1/refunds": once([{"body.payment": p} for p in api.settled(POOL)]),
        "GET /v1/refunds/{id}": again([{"path.id": r} for r in refunds]),
        "POST /v1/payments/{id}/cancel": once([{"path.id": p} for p in waiting[:POOL]]),
        "POST /v1/sandbox/prompts/{id}/confirm": once(
            [{"path.id": p.replace("pay_", "prm_")} for p in waiting[POOL : 2 * POOL]]
        ),
        "POST /v1/sandbox/prompts/{id}/decline": once(
            [{"path.id": p.replace("pay_", "prm_")} for p in waiting[2 * POOL :]]
        ),
        "POST /v1/payment_records/{id}": once([{"path.id": r} for r in api.records(POOL)]),
        "DELETE /v1/payment_records/{id}": once([{"path.id": r} for r in api.records(POOL)]),
        # Returned, since a match would need a bill of the same amount and reference.
        "POST /v1/ingested_payments/{id}/resolve": once(
            [
                {"path.id": i, "body.resolution": "return", "body.collection_request_id": None}
                for i in api.exceptions(POOL)
            ]
        ),
    }


def plexospay(api):
    face = Api(api.base + "/compat/plexospay", api.key)
    pi = lambda p: p.replace("pay_", "pi_", 1)  # noqa: E731 - PlexosPay's names for payments
    refunds = [
        face.call("POST", "/v1/refunds", {"paymentIntentId": pi(p), "amount": 100})["id"]
        for p in api.settled(2)
    ]
    return {
        "POST /v1/refunds": once([{"body.paymentIntentId": pi(p)} for p in api.settled(POOL)]),
        "GET /v1/refunds/{id}": again([{"path.id": r} for r in refunds]),
        "POST /v1/payments/{id}/cancel": once([{"path.id": pi(p)} for p in api.waiting(POOL)]),
    }


def kulpay(api):
    pm = lambda r: r.replace("pay_", "pm_", 1)  # noqa: E731 - Kulpay's names for records
    return {
        "PUT /v1/payments/{id}": once([{"path.id": pm(r)} for r in api.records(POOL)]),
        "DELETE /v1/payments/{id}": once([{"path.id": pm(r)} for r in api.records(POOL)]),
    }


def pay_on_page(url, phone, operator):
    """Pays a hosted checkout page as a browser with JavaScript off does: read the form (its
    cookie and CSRF token), post the phone and operator."""
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    with browser.open(url, timeout=30) as r:
        csrf = re.search(r'name="csrf" value="([^"]*)"', r.read().decode()).group(1)
    form = urllib.parse.urlencode({"csrf": csrf, "phone": phone, "operator": operator}).encode()
    browser.open(urllib.request.Request(url, data=form, method="POST"), timeout=30).close()


def simiz(api, key):
    """Simiz payments are hosted pages: each is paid on its page, then refunded through Simiz."""
    face = Api(api.base + "/compat/simiz", key)
    body = {
        "userId": "550e8400-e29b-41d4-a716-446655440000", "amount": 5000, "currency": "XAF",
        "returnUrl": "https://merchant.example/paid", "cancelUrl": "https://merchant.example/cart",
    }
    completed = []
    for i in range(POOL + 2):
        p = face.call("POST", "/v1/payments", body)
        # A phone gets a few prompts from pages in a while (a page's own limit): one each.
        pay_on_page(p["paymentUrl"], f"+2376900{i:02d}789", "orange_cm")
        completed.append(p["id"])
    deadline = time.time() + 30
    for pid in completed:
        while face.call("GET", f"/v1/payments/{pid}")["status"] != "COMPLETED":
            if time.time() > deadline:
                sys.exit(f"contract fixtures: Simiz payment {pid} never completed")
            time.sleep(0.05)
    refunds = [face.call("POST", "/v1/refunds", {"paymentId": p, "amount": 100})["id"] for p in completed[:2]]
    # A session to read: the stateful phase only sometimes links its creation to the read, and a
    # run that never reads one proves nothing of the operation.
    project = p["projectId"]
    session = {"amount": 5000, "currency": "XAF", "successUrl": "https://merchant.example/paid"}
    sessions = [
        face.call("POST", f"/v1/projects/{project}/checkout/sessions", session)["id"] for _ in range(2)
    ]
    return {
        "POST /v1/refunds": once([{"body.paymentId": p} for p in completed[2:]]),
        "GET /v1/refunds/{id}": again([{"path.id": r} for r in refunds]),
        "GET /v1/projects/{projectId}/checkout/sessions/{id}": again(
            [{"path.projectId": project, "path.id": s} for s in sessions]
        ),
    }


def adullam(base):
    """The credential contract.sh issued (with a phone, so that both token shapes take it), and
    money in the merchant's balance for transfers: settled payments through the face."""
    secret = os.environ["CONTRACT_CLIENT_SECRET"]
    form = urllib.parse.urlencode(
        {"grant_type": "client_credentials", "client_id": os.environ["CONTRACT_CLIENT_ID"], "client_secret": secret}
    ).encode()
    with urllib.request.urlopen(urllib.request.Request(base + "/compat/adullam/v1/oauth/token", data=form), timeout=30) as r:
        token = json.loads(r.read())["access_token"]
    face = Api(base + "/compat/adullam/v1", token)
    ids = []
    for _ in range(20):
        body = json.dumps(
            {"amount": 2_000_000, "currency": "XOF", "customer_phone": "+2250700000789", "channel": "orangeCI"}
        ).encode()
        req = urllib.request.Request(face.base + "/payments", data=body, method="POST")
        req.add_header("Authorization", f"Bearer {token}")
        req.add_header("Content-Type", "application/json")
        req.add_header("Idempotency-Key", str(uuid.uuid4()))
        with urllib.request.urlopen(req, timeout=30) as r:
            ids.append(json.loads(r.read())["id"])
    deadline = time.time() + 30
    for pid in ids:
        while face.call("GET", f"/payments/{pid}")["status"] != "completed":
            if time.time() > deadline:
                sys.exit(f"contract fixtures: {pid} never completed")
            time.sleep(0.05)
    return {
        "POST /v1/oauth/token": again(
            [
                {
                    "body.grant_type": "client_credentials",
                    "body.client_id": os.environ["CONTRACT_CLIENT_ID"],
                    "body.client_secret": secret,
                }
            ]
        ),
        "POST /v1/auth/token": again(
            [{"body.phone": os.environ["CONTRACT_CLIENT_PHONE"], "body.password": secret}]
        ),
    }


def main():
    face, base, key, out = sys.argv[1:5]
    api = Api(base, key)
    fixtures = {
        "native": lambda: native(api),
        "plexospay": lambda: plexospay(api),
        # Simiz prints Kumbu's key sk_test_X as smz_test_sk_X.
        "simiz": lambda: simiz(api, "smz_test_sk_" + key.removeprefix("sk_test_")),
        "adullam": lambda: adullam(base),
        "kulpay": lambda: kulpay(api),
    }.get(face, dict)()
    with open(out, "w") as f:
        json.dump(fixtures, f, indent=1)
    made = ", ".join(f"{op} ({len(v['patches'])})" for op, v in fixtures.items()) or "none needed"
    print(f"contract fixtures for {face}: {made}")


if __name__ == "__main__":
    main()
