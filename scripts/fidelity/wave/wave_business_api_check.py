#!/usr/bin/env python3
"""Fidelity harness: drives PyPI `wave-business-api` 1.0.0 (module wave_business_api),
unchanged, against the running Wave simulator (`kumbu simulate wave`), as a merchant's code would:
checkout sessions (create, read three ways, the payer's page, expire, refund), payouts (with the
library's idempotency keys, a failure, a reversal, search), the balance, errors as the library's
typed exceptions, and webhooks received by a real local server and checked by the library's own
`WebhookVerifier`.

Env: WAVE_SIM_URL, WAVE_API_KEY (a key the simulator accepts); WAVE_FIDELITY_SKIP
(comma-separated check-name prefixes to skip).

Where the library departs from Wave's documentation, the harness checks what it then does, so
that the departure stays written down:
- with a `signing_secret` it signs the compact JSON (`separators=(",", ":")`) but `requests`
  sends `json.dumps` with the default `", "`/`": "` separators, so Wave (and the simulator, told
  to require request signing) refuses every signed POST with a body: `WaveAuthError`. Signed GETs
  (empty body) pass.
"""
import json
import os
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, expect, summary  # noqa: E402

from wave_business_api import (  # noqa: E402
    WaveAuthError,
    WaveClient,
    WaveNotFoundError,
    WaveValidationError,
    WebhookVerifier,
)
from wave_business_api.exceptions import WaveIdempotencyError, WaveWebhookError  # noqa: E402

SIM = os.environ["WAVE_SIM_URL"].rstrip("/")
KEY = os.environ["WAVE_API_KEY"]
WEBHOOK_SECRET = "wave_ci_WHS_fidelity"
SIGNING_SECRET = "wave_ci_AKS_fidelity"

HOOKS = []
ARRIVED = threading.Condition()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
        with ARRIVED:
            HOOKS.append((self.headers.get("Wave-Signature"), raw))
            ARRIVED.notify_all()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


receiver = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()


def control(method, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(f"{SIM}{path}", data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        raw = r.read()
        return json.loads(raw) if raw else None


control("PUT", "/_simulator/webhook", {"url": f"http://127.0.0.1:{receiver.server_port}/wave",
                                       "signing_secret": WEBHOOK_SECRET})
client = WaveClient(api_key=KEY, base_url=SIM, timeout=10)
verifier = WebhookVerifier(signing_secret=WEBHOOK_SECRET)
state = {}


def hook(count):
    with ARRIVED:
        ARRIVED.wait_for(lambda: len(HOOKS) >= count, timeout=10)
        expect(len(HOOKS) >= count, f"{len(HOOKS)} webhook(s), expected {count}")
        return HOOKS[count - 1]


def pay_on_page(session, mobile):
    form = urllib.parse.urlencode({"action": "pay", "mobile": mobile}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(
            urllib.request.Request(session["wave_launch_url"], data=form, method="POST"))
    except urllib.error.HTTPError as e:
        expect(e.code == 303, f"the page answered {e.code}")
        return e.headers["Location"]
    raise AssertionError("the page did not send the payer back")


def create_session():
    s = client.checkout.create_session(amount="2500", currency="XOF",
                                       success_url="https://boutique.example/merci",
                                       error_url="https://boutique.example/erreur",
                                       client_reference="fid-order-1")
    expect(s["id"].startswith("cos-") and s["checkout_status"] == "open", f"{s}")
    expect(s["amount"] == "2500" and s["payment_status"] == "processing", f"{s}")
    expect(s["wave_launch_url"].startswith(SIM + "/c/"), s["wave_launch_url"])
    state["session"] = s


check("checkout.create_session", create_session)


def amount_must_be_a_string_of_francs():
    try:
        client.checkout.create_session(amount="25.5", currency="XOF",
                                       success_url="https://b.example/ok", error_url="https://b.example/ko")
    except WaveValidationError as e:
        expect(e.status_code == 400, f"{e.status_code}")
    else:
        raise AssertionError("a decimal XOF amount was accepted")


check("checkout.decimal_amount_refused_as_validation_error", amount_must_be_a_string_of_francs)


def failed_then_paid_with_verified_webhooks():
    s = state["session"]
    expect(pay_on_page(s, "+2250700000049") == "https://boutique.example/erreur", "error_url")
    sig, raw = hook(1)
    event = verifier.verify_and_parse(raw_body=raw, wave_signature=sig)
    expect(event["type"] == "checkout.session.payment_failed", f"{event}")
    expect(pay_on_page(s, "+2250700000789") == "https://boutique.example/merci", "success_url")
    sig, raw = hook(2)
    event = verifier.verify_and_parse(raw_body=raw, wave_signature=sig)
    expect(event["type"] == "checkout.session.completed" and event["id"].startswith("EV_"), f"{event}")
    expect(event["data"]["id"] == s["id"] and event["data"]["payment_status"] == "succeeded", f"{event}")
    state["transaction_id"] = event["data"]["transaction_id"]


check("checkout.page_fails_then_pays_webhooks_verified", failed_then_paid_with_verified_webhooks)


def reads():
    s = state["session"]
    by_id = client.checkout.get_session(s["id"])
    expect(by_id["checkout_status"] == "complete", f"{by_id}")
    by_t = client.checkout.get_session_by_transaction(state["transaction_id"])
    expect(by_t["id"] == s["id"], f"{by_t}")
    found = client.checkout.search_sessions("fid-order-1")
    expect([x["id"] for x in found] == [s["id"]], f"{found}")


check("checkout.read_by_id_transaction_reference", reads)


def not_found():
    try:
        client.checkout.get_session("cos-doesnotexist1")
    except WaveNotFoundError:
        return
    raise AssertionError("an unknown session was found")


check("checkout.unknown_session_not_found", not_found)


def refund_and_expire():
    s = state["session"]
    expect(client.checkout.refund_session(s["id"]) is None, "refund answers no body")
    expect(client.checkout.get_session(s["id"])["payment_status"] == "refunded", "refunded")
    other = client.checkout.create_session(amount="100", currency="XOF",
                                           success_url="https://b.example/ok", error_url="https://b.example/ko")
    expect(client.checkout.expire_session(other["id"]) is None, "expire answers no body")
    expect(client.checkout.get_session(other["id"])["checkout_status"] == "expired", "expired")


check("checkout.refund_and_expire", refund_and_expire)


def forged_and_stale_webhooks_refused():
    control("PUT", "/_simulator/faults", {"forged_webhooks": True})
    s = client.checkout.create_session(amount="300", currency="XOF",
                                       success_url="https://b.example/ok", error_url="https://b.example/ko")
    control("POST", f"/_simulator/sessions/{s['id']}/pay")
    sig, raw = hook(3)
    try:
        verifier.verify_and_parse(raw_body=raw, wave_signature=sig)
    except WaveWebhookError:
        pass
    else:
        raise AssertionError("the library accepted a forged webhook")
    sig, raw = hook(4)
    verifier.verify_and_parse(raw_body=raw, wave_signature=sig)
    control("PUT", "/_simulator/faults", {"stale_webhooks": True, "rotating_secret": True})
    s = client.checkout.create_session(amount="300", currency="XOF",
                                       success_url="https://b.example/ok", error_url="https://b.example/ko")
    control("POST", f"/_simulator/sessions/{s['id']}/pay")
    sig, raw = hook(5)
    expect(sig.count("v1=") == 2, sig)
    try:
        verifier.verify_and_parse(raw_body=raw, wave_signature=sig)
    except WaveWebhookError:
        pass
    else:
        raise AssertionError("the library accepted a webhook signed ten minutes ago")
    control("PUT", "/_simulator/faults", {})


check("webhooks.forged_and_stale_refused_by_the_library", forged_and_stale_webhooks_refused)


def payouts():
    p = client.payout.create(currency="XOF", receive_amount="5000", mobile="+2250700000789",
                             name="Awa Koné", client_reference="fid-payout-1",
                             idempotency_key="fid-key-1", payment_reason="Remboursement")
    expect(p["id"].startswith("pt-") and p["status"] == "succeeded" and p["fee"] == "50", f"{p}")
    again = client.payout.create(currency="XOF", receive_amount="5000", mobile="+2250700000789",
                                 name="Awa Koné", client_reference="fid-payout-1",
                                 idempotency_key="fid-key-1", payment_reason="Remboursement")
    expect(again["id"] == p["id"], "the idempotency key replayed the payout")
    try:
        client.payout.create(currency="XOF", receive_amount="5001", mobile="+2250700000789",
                             idempotency_key="fid-key-1")
    except WaveIdempotencyError:
        pass
    else:
        raise AssertionError("a reused idempotency key with another body was accepted")
    f = client.payout.create(currency="XOF", receive_amount="100", mobile="+2250700000049",
                             client_reference="fid-payout-1")
    expect(f["status"] == "failed" and f["payout_error"]["error_code"] == "insufficient-funds", f"{f}")
    expect(client.payout.get(p["id"])["status"] == "succeeded", "read back")
    expect(client.payout.reverse(p["id"]) is None, "reverse answers no body")
    expect(client.payout.get(p["id"])["status"] == "reversed", "reversed")
    found = client.payout.search("fid-payout-1")
    expect(len(found) == 2, f"{found}")


check("payout.create_idempotent_fail_reverse_search", payouts)


def balance():
    b = client.balance.get()
    expect(b["currency"] == "XOF" and b["amount"].isdigit(), f"{b}")


check("balance.get", balance)


def bad_key():
    try:
        WaveClient(api_key="wave_ci_prod_unknown", base_url=SIM).balance.get()
    except WaveAuthError as e:
        expect(e.status_code == 401 and e.error_code == "no-matching-api-key", f"{e.error_code}")
        return
    raise AssertionError("an unknown key was accepted")


check("auth.unknown_key_is_wave_auth_error", bad_key)


def request_signing():
    control("PUT", "/_simulator/request-signing", {"secret": SIGNING_SECRET})
    try:
        signed = WaveClient(api_key=KEY, signing_secret=SIGNING_SECRET, base_url=SIM)
        b = signed.balance.get()
        expect(b["currency"] == "XOF", "a signed GET (empty body) passes")
        try:
            signed.checkout.create_session(amount="100", currency="XOF",
                                           success_url="https://b.example/ok", error_url="https://b.example/ko")
        except WaveAuthError as e:
            expect(e.error_code == "invalid-wave-signature", f"{e.error_code}")
        else:
            raise AssertionError("a signed POST passed: the library's signing bug is fixed? update the docs")
        try:
            client.balance.get()
        except WaveAuthError:
            pass
        else:
            raise AssertionError("an unsigned request passed while signing is required")
    finally:
        control("PUT", "/_simulator/request-signing", {"secret": None})


check("auth.request_signing_library_bug_documented", request_signing)

sys.exit(summary("wave-business-api 1.0.0"))
