#!/usr/bin/env python3
"""Fidelity harness: drives PyPI `momo-openapi` 0.1.2 (module momo_openapi), unchanged and
through its public API only, against a running `kumbu simulate mtn-momo` and checks the results.

Env: MTN_SIM_URL (e.g. http://127.0.0.1:8090), MTN_SUBSCRIPTION_KEY (accepted for every product).
Optional: MTN_POLL_TIMEOUT (s, default 5), MTN_DELAYED_TIMEOUT (s, default 30, for 46733123454),
MTN_FIDELITY_SKIP (comma-separated check-name prefixes to skip, e.g. "remittance").
Prints `ok <name>` / `FAIL <name>: why` / `skip <name>` per check; exits 1 on any failure.

Where this client differs from MTN's docs:
- provision_sandbox_user() and Collection.for_sandbox() hard-code https://sandbox.momodeveloper.mtn.com
  and ignore any base URL. The only way to point them at the simulator without changing the library
  is its public `session=` parameter: RewritingSession below rewrites that host to MTN_SIM_URL.
- Sends X-Target-Environment on /{product}/token/ (MTN: optional; this library says the new
  momoapi.momo.africa platform requires it). Sends `User-Agent: momo-openapi/0.1.2`, `Accept: */*`.
- Demands exactly 201 (provisioning), 200 (token, GETs) and 202 (writes); anything else raises.
- Returns status bodies raw: `reason` is whatever the server sent (the simulator must send a bare
  string). Errors are MomoAPIError with .status_code and .code (= body "code", else body "error");
  a 401 from /token/ is AuthenticationError.
- Supports collection, disbursement and remittance (transfer, status, balance) only: no
  account-holder check, no refund, no deposit, no delivery notification, no v2_0 endpoints.
- reference_id is not validated client-side (MTN requires a UUID v4).
"""
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import CheckError, check, expect, summary  # noqa: E402

import requests

import momo_openapi
from momo_openapi import (AuthenticationError, Collection, Disbursement, MomoAPIError, MomoConfig,
                          Remittance, provision_sandbox_user)

SIM = os.environ.get("MTN_SIM_URL", "").rstrip("/")
KEY = os.environ.get("MTN_SUBSCRIPTION_KEY", "")
POLL = float(os.environ.get("MTN_POLL_TIMEOUT", "5"))
DELAYED = float(os.environ.get("MTN_DELAYED_TIMEOUT", "30"))
OK_MSISDN = "46733123999"
FAILED_RTP = {"46733123450": "INTERNAL_PROCESSING_ERROR", "46733123451": "APPROVAL_REJECTED",
              "46733123452": "EXPIRED", "46733123455": "PAYER_NOT_FOUND"}
FAILED_TRANSFER = {"46733123450": "INTERNAL_PROCESSING_ERROR", "46733123455": "NOT_ENOUGH_FUNDS"}

def expect_raises(fn, cls, status, code):
    try:
        fn()
    except cls as exc:
        expect(exc.status_code == status, f"status_code {exc.status_code}, want {status}")
        expect(exc.code == code, f"code {exc.code!r}, want {code!r} (body {exc.body!r})")
        return exc
    raise CheckError(f"no {cls.__name__} raised")


def poll(get, ref, timeout, until=lambda s: s.get("status") not in ("PENDING", "CREATED", None)):
    deadline = time.monotonic() + timeout
    while True:
        status = get(ref)
        expect(isinstance(status, dict), f"status body is {type(status).__name__}, not an object")
        if until(status) or time.monotonic() > deadline:
            return status
        time.sleep(0.2)


class RewritingSession(requests.Session):
    """A plain requests.Session, handed to the library's public `session=` parameter, that sends
    what the library addresses to MTN's sandbox host to the simulator instead."""

    def request(self, method, url, *args, **kwargs):
        if url.startswith(momo_openapi.SANDBOX_URL):
            url = SIM + url[len(momo_openapi.SANDBOX_URL):]
        return super().request(method, url, *args, **kwargs)


def config(user_id, api_key):
    return MomoConfig(subscription_key=KEY, user_id=user_id, credential_token=api_key,
                      target_environment="sandbox", base_url=SIM, currency="EUR")


def main():
    if not SIM or not KEY:
        print("FAIL setup: MTN_SIM_URL and MTN_SUBSCRIPTION_KEY must be set")
        return 1

    def provision():
        user_id, api_key = provision_sandbox_user(KEY, "localhost", session=RewritingSession())
        expect(uuid.UUID(user_id).version == 4, f"user id {user_id!r} is not a uuid4")
        expect(isinstance(api_key, str) and api_key, f"apiKey {api_key!r} is not a non-empty string")
        return user_id, api_key

    creds = check("sandbox.provision_user_and_key", provision)
    if creds is None:
        print("FAIL setup: cannot continue without API credentials")
        return 1
    col = Collection(config(*creds))
    dis = Disbursement(config(*creds))
    rem = Remittance(config(*creds))

    def token(client):
        def run():
            first = client.get_access_token()
            expect(isinstance(first, str) and first, f"access_token {first!r}")
            expect(client.get_access_token() == first, "token not cached between calls")
            fresh = client.get_access_token(force_refresh=True)
            expect(isinstance(fresh, str) and fresh, f"refreshed access_token {fresh!r}")
        return run

    check("collection.token", token(col))
    check("disbursement.token", token(dis))
    check("remittance.token", token(rem))

    def balance(client):
        def run():
            bal = client.get_balance()
            expect(isinstance(bal, dict), f"balance body {bal!r}")
            expect(isinstance(bal.get("availableBalance"), str), f"availableBalance not a string: {bal!r}")
            float(bal["availableBalance"])
            expect(bal.get("currency") == "EUR", f"currency {bal.get('currency')!r}")
        return run

    check("collection.balance", balance(col))
    check("disbursement.balance", balance(dis))
    check("remittance.balance", balance(rem))

    # --- request to pay -------------------------------------------------------------------
    def rtp_success():
        ext = f"mo-{uuid.uuid4().hex[:8]}"
        ref = col.request_to_pay("100", OK_MSISDN, ext, payer_message="fidelity", payee_note="note")
        expect(uuid.UUID(ref).version == 4, f"reference {ref!r}")
        st = poll(col.get_transaction_status, ref, POLL)
        expect(st.get("status") == "SUCCESSFUL", f"status {st.get('status')!r} after {POLL}s: {st!r}")
        expect(st.get("amount") == "100", f"amount {st.get('amount')!r}")
        expect(st.get("currency") == "EUR", f"currency {st.get('currency')!r}")
        expect(st.get("externalId") == ext, f"externalId {st.get('externalId')!r}")
        expect(st.get("payer") == {"partyIdType": "MSISDN", "partyId": OK_MSISDN}, f"payer {st.get('payer')!r}")
        expect(isinstance(st.get("financialTransactionId"), str) and st["financialTransactionId"],
               f"financialTransactionId {st.get('financialTransactionId')!r}")
        expect("reason" not in st or st["reason"] in (None, ""), f"reason on success: {st.get('reason')!r}")
        return ref

    check("collection.request_to_pay.successful", rtp_success)

    def rtp_failed(msisdn, reason):
        def run():
            ref = col.request_to_pay("100", msisdn, "mo-fail")
            st = poll(col.get_transaction_status, ref, POLL)
            expect(st.get("status") == "FAILED", f"status {st.get('status')!r}: {st!r}")
            expect(st.get("reason") == reason, f"reason {st.get('reason')!r}, want {reason!r}")
        return run

    for msisdn, reason in FAILED_RTP.items():
        check(f"collection.request_to_pay.failed.{msisdn}.{reason}", rtp_failed(msisdn, reason))

    def rtp_ongoing():
        ref = col.request_to_pay("100", "46733123453", "mo-ongoing")
        st = col.get_transaction_status(ref)
        expect(st.get("status") == "PENDING", f"first status {st.get('status')!r}")
        time.sleep(1.0)
        st = col.get_transaction_status(ref)
        expect(st.get("status") == "PENDING", f"status after 1s {st.get('status')!r}")

    check("collection.request_to_pay.pending.46733123453", rtp_ongoing)

    def rtp_delayed():
        ref = col.request_to_pay("100", "46733123454", "mo-delayed")
        st = col.get_transaction_status(ref)
        expect(st.get("status") == "PENDING", f"first status {st.get('status')!r}, want PENDING")
        st = poll(col.get_transaction_status, ref, DELAYED)
        expect(st.get("status") == "SUCCESSFUL", f"status {st.get('status')!r} after {DELAYED}s")

    check("collection.request_to_pay.delayed.46733123454", rtp_delayed)

    def rtp_duplicate():
        ref = str(uuid.uuid4())
        expect(col.request_to_pay("100", OK_MSISDN, "mo-dup", reference_id=ref) == ref, "reference not echoed")
        expect_raises(lambda: col.request_to_pay("100", OK_MSISDN, "mo-dup", reference_id=ref),
                      MomoAPIError, 409, "RESOURCE_ALREADY_EXIST")

    check("collection.request_to_pay.duplicate_reference_409", rtp_duplicate)

    check("collection.status.unknown_reference_404",
          lambda: expect_raises(lambda: col.get_transaction_status(str(uuid.uuid4())),
                                MomoAPIError, 404, "RESOURCE_NOT_FOUND"))

    # --- transfers (disbursement and remittance share the code path) -----------------------
    def transfer_success(client):
        def run():
            ref = client.transfer("50", OK_MSISDN, "mo-payout", payer_message="m", payee_note="n")
            st = poll(client.get_transaction_status, ref, POLL)
            expect(st.get("status") == "SUCCESSFUL", f"status {st.get('status')!r}: {st!r}")
            expect(st.get("payee") == {"partyIdType": "MSISDN", "partyId": OK_MSISDN}, f"payee {st.get('payee')!r}")
            expect(st.get("amount") == "50" and st.get("currency") == "EUR", f"amount/currency {st!r}")
            expect(isinstance(st.get("financialTransactionId"), str), "financialTransactionId not a string")
        return run

    check("disbursement.transfer.successful", transfer_success(dis))
    check("remittance.transfer.successful", transfer_success(rem))

    def transfer_failed(msisdn, reason):
        def run():
            ref = dis.transfer("50", msisdn, "mo-payout-fail")
            st = poll(dis.get_transaction_status, ref, POLL)
            expect(st.get("status") == "FAILED", f"status {st.get('status')!r}: {st!r}")
            expect(st.get("reason") == reason, f"reason {st.get('reason')!r}, want {reason!r}")
        return run

    for msisdn, reason in FAILED_TRANSFER.items():
        check(f"disbursement.transfer.failed.{msisdn}.{reason}", transfer_failed(msisdn, reason))

    def transfer_duplicate():
        ref = str(uuid.uuid4())
        dis.transfer("50", OK_MSISDN, "mo-dup", reference_id=ref)
        expect_raises(lambda: dis.transfer("50", OK_MSISDN, "mo-dup", reference_id=ref),
                      MomoAPIError, 409, "RESOURCE_ALREADY_EXIST")

    check("disbursement.transfer.duplicate_reference_409", transfer_duplicate)
    check("disbursement.status.unknown_reference_404",
          lambda: expect_raises(lambda: dis.get_transaction_status(str(uuid.uuid4())),
                                MomoAPIError, 404, "RESOURCE_NOT_FOUND"))

    # --- auth errors --------------------------------------------------------------------
    def wrong_key(cls):
        def run():
            bad = cls(config(creds[0], "wrong-" + creds[1]))
            expect_raises(bad.get_access_token, AuthenticationError, 401, "login_failed")
            # A product call surfaces the same error from its implicit token fetch.
            expect_raises(bad.get_balance, AuthenticationError, 401, "login_failed")
        return run

    check("collection.token.wrong_api_key_401", wrong_key(Collection))
    check("disbursement.token.wrong_api_key_401", wrong_key(Disbursement))

    # --- the library's own sandbox shortcut, fully through its session hook ---------------
    def for_sandbox():
        client = Collection.for_sandbox(KEY, session=RewritingSession())
        expect(client.base_url == momo_openapi.SANDBOX_URL, f"base_url {client.base_url!r}")
        ref = client.request_to_pay(7, OK_MSISDN, 42)  # int amount/externalId: sent as strings
        st = poll(client.get_transaction_status, ref, POLL)
        expect(st.get("status") == "SUCCESSFUL", f"status {st.get('status')!r}")
        expect(st.get("amount") == "7" and st.get("externalId") == "42", f"echo {st!r}")

    check("sandbox.for_sandbox_collection", for_sandbox)

    return summary(f"momo-openapi {momo_openapi.__version__}")


if __name__ == "__main__":
    sys.exit(main())
