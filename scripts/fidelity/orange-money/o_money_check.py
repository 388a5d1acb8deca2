#!/usr/bin/env python3
"""Fidelity harness: drives PyPI `o-money` 0.0.10 (module O_money), unchanged, against the
running Orange Money simulator (`kumbu simulate orange-money`), as a merchant's code would:
token, webpayment, the payer's page, the notification, transactionstatus.

Env: ORANGE_SIM_URL, ORANGE_CLIENT (`<id>:<secret>` the simulator accepts), ORANGE_MERCHANT_KEY;
ORANGE_FIDELITY_SKIP (comma-separated check-name prefixes to skip).

Where the client and Orange's documentation disagree, the simulator follows the documentation
and this harness checks what the client then does, so that the disagreement stays written down:
- `payment_status` returns a record only when the answer's `status` is 201, but Orange answers
  `transactionstatus` with `{"status": "SUCCESS"|"PENDING"|…, "order_id", "txnid"}`: the client
  returns None for every real answer. The raw answer is checked beside it.
- the client reads `client_id` as the whole Basic credential (base64 of `id:secret`, as Orange's
  portal shows it), and never refreshes a token the API refused (401): its calls then return None.
- it posts `transactionstatus` as JSON labelled `application/x-www-form-urlencoded`.
"""
import base64
import json
import logging
import os
import sys
import threading
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import check, expect, summary  # noqa: E402

SIM = os.environ["ORANGE_SIM_URL"].rstrip("/")
CLIENT = os.environ["ORANGE_CLIENT"]
MERCHANT_KEY = os.environ["ORANGE_MERCHANT_KEY"]

# Orange posts notifications to notif_url: a real local receiver.
NOTIFICATIONS = []
ARRIVED = threading.Condition()


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        with ARRIVED:
            NOTIFICATIONS.append(json.loads(body))
            ARRIVED.notify_all()
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


receiver = HTTPServer(("127.0.0.1", 0), Receiver)
threading.Thread(target=receiver.serve_forever, daemon=True).start()
NOTIF_URL = f"http://127.0.0.1:{receiver.server_port}/orange/notify"

# The client reads its settings from the environment when imported.
os.environ["client_id"] = base64.b64encode(CLIENT.encode()).decode()
os.environ["merchant_key"] = MERCHANT_KEY
os.environ["return_url"] = "https://boutique.example/merci"
os.environ["cancel_url"] = "https://boutique.example/panier"
os.environ["notif_url"] = NOTIF_URL
from O_money import o_webpay  # noqa: E402

LOG = logging.Logger("o-money fidelity")


def stats():
    with urllib.request.urlopen(f"{SIM}/_simulator/stats") as r:
        return json.loads(r.read())


def webpay():
    w = o_webpay.Webpay(logger=LOG, currency="OUV")
    w.base_url = SIM
    return w


def raw_status(w, order_id, amount, pay_token):
    req = urllib.request.Request(
        f"{SIM}/orange-money-webpay/dev/v1/transactionstatus",
        data=json.dumps({"order_id": order_id, "amount": amount, "pay_token": pay_token}).encode(),
        headers={"Authorization": f"Bearer {w.token}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(req) as r:
        expect(r.status == 201, f"transactionstatus answered {r.status}")
        return json.loads(r.read())


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def answer_page(payment_url, action, phone="+2250700000789"):
    """The payer on Orange's page: the form's POST; returns where Orange sends them."""
    form = urllib.parse.urlencode({"action": action, "phone": phone}).encode()
    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(urllib.request.Request(payment_url, data=form, method="POST"))
    except urllib.error.HTTPError as e:
        expect(e.code == 303, f"the page answered {e.code}")
        return e.headers["Location"]
    raise AssertionError("the page did not send the payer back")


def notification(count):
    with ARRIVED:
        ARRIVED.wait_for(lambda: len(NOTIFICATIONS) >= count, timeout=10)
        expect(len(NOTIFICATIONS) >= count, f"{len(NOTIFICATIONS)} notification(s), expected {count}")
        return NOTIFICATIONS[count - 1]


w = webpay()
before = stats()


def token():
    t = w.token
    expect(isinstance(t, str) and len(t) >= 20, f"token {t!r}")
    t2 = w.token
    expect(t2 == t, "the client asked for a second token while the first was valid")
    expect(stats()["tokens"] == before["tokens"] + 1, "one token issued")


check("token.basic_client_credentials_cached", token)

state = {}


def init_pay():
    r = w.init_pay(amount=2500, order_id="fid-1", reference="Commande 1", lang="fr")
    expect(r is not None, "init_pay returned None (the answer was not 201 with status 201)")
    expect(r.status == 201 and r.message == "OK", f"{r}")
    expect(r.payment_url.startswith(f"{SIM}/webpay/"), r.payment_url)
    expect(r.pay_token and r.notif_token, f"{r}")
    state["paid"] = r


check("webpayment.created_201_five_fields", init_pay)


def page_shows_the_payment():
    with urllib.request.urlopen(state["paid"].payment_url) as r:
        html = r.read().decode()
    expect("2500 OUV" in html and "Commande 1" in html, html)


check("page.shows_amount_and_reference", page_shows_the_payment)


def status_pending():
    p = state["paid"]
    queried = stats()["status_queries"]
    expect(w.payment_status("fid-1", 2500, p.pay_token) is None,
           "the client built a record from a documented status answer (it expects status 201)")
    expect(stats()["status_queries"] == queried + 1, "the client's status call reached Orange")
    raw = raw_status(w, "fid-1", 2500, p.pay_token)
    expect(raw["status"] == "PENDING" and raw["order_id"] == "fid-1", f"{raw}")


check("transactionstatus.pending_and_client_returns_none", status_pending)


def pay():
    p = state["paid"]
    back = answer_page(p.payment_url, "pay")
    expect(back == "https://boutique.example/merci", back)
    n = notification(1)
    expect(n["status"] == "SUCCESS" and n["notif_token"] == p.notif_token, f"{n}")
    expect(str(n["txnid"]).startswith("MP"), f"{n}")
    raw = raw_status(w, "fid-1", 2500, p.pay_token)
    expect(raw["status"] == "SUCCESS" and raw["txnid"] == n["txnid"], f"{raw}")


check("page.pay_notifies_success_then_status_success", pay)


def decline():
    r = w.init_pay(amount=1000, order_id="fid-2", reference="Commande 2")
    expect(r is not None, "init_pay returned None")
    back = answer_page(r.payment_url, "decline")
    expect(back == "https://boutique.example/merci", back)
    n = notification(2)
    expect(n["status"] == "FAILED" and n["notif_token"] == r.notif_token, f"{n}")


check("page.decline_notifies_failed", decline)


def no_funds():
    r = w.init_pay(amount=1000, order_id="fid-3", reference="Commande 3")
    answer_page(r.payment_url, "pay", phone="+2250700000049")
    n = notification(3)
    expect(n["status"] == "FAILED", f"{n}")
    expect(raw_status(w, "fid-3", 1000, r.pay_token)["status"] == "FAILED", "status FAILED")


check("page.number_049_is_refused", no_funds)


def cancel():
    r = w.init_pay(amount=1000, order_id="fid-4", reference="Commande 4")
    expect(raw_status(w, "fid-4", 1000, r.pay_token)["status"] == "INITIATED", "new: INITIATED")
    urllib.request.urlopen(r.payment_url).read()
    back = answer_page(r.payment_url, "cancel")
    expect(back == "https://boutique.example/panier", back)
    expect(raw_status(w, "fid-4", 1000, r.pay_token)["status"] == "PENDING", "seen, still open")


check("page.cancel_returns_to_cancel_url", cancel)


def duplicate_order():
    refused = stats()["refused"]
    expect(w.init_pay(amount=2500, order_id="fid-1", reference="again") is None,
           "a reused order_id was accepted")
    expect(stats()["refused"] == refused + 1, "the simulator refused it")


check("webpayment.reused_order_id_refused", duplicate_order)


def long_order_id():
    refused = stats()["refused"]
    expect(w.init_pay(amount=2500, order_id="x" * 31, reference="long") is None, "accepted")
    expect(stats()["refused"] == refused + 1, "the simulator refused it")


check("webpayment.order_id_over_30_refused", long_order_id)


def expired_token():
    urllib.request.urlopen(urllib.request.Request(f"{SIM}/_simulator/tokens/expire", method="POST"))
    refused = stats()["unauthorized"]
    expect(w.init_pay(amount=2500, order_id="fid-5", reference="x") is None,
           "the client's call went through with a token Orange refused")
    expect(stats()["unauthorized"] == refused + 1, "Orange refused the token (401)")


check("token.refused_token_not_refreshed_by_client", expired_token)


def wrong_client():
    os.environ["client_id"] = base64.b64encode(b"nobody:wrong").decode()
    import importlib

    importlib.reload(o_webpay)
    bad = o_webpay.Webpay(logger=LOG)
    bad.base_url = SIM
    refused = stats()["unauthorized"]
    try:
        bad.token
    except KeyError:
        pass
    else:
        raise AssertionError("a token was issued to unknown credentials")
    expect(stats()["unauthorized"] == refused + 1, "the simulator answered 401")


check("token.unknown_client_401", wrong_client)

sys.exit(summary("o-money 0.0.10"))
