#!/usr/bin/env python3
"""Fidelity harness: drives PyPI `mtn-momo-client` 2.0.1 (module momo_api), unchanged and through
its public API only, against a running `kumbu simulate mtn-momo` and checks the results.

Env: MTN_SIM_URL (e.g. http://127.0.0.1:8090), MTN_SUBSCRIPTION_KEY (accepted for every product).
Optional: MTN_POLL_TIMEOUT (s, default 5), MTN_DELAYED_TIMEOUT (s, default 30, for 46733123454),
MTN_FIDELITY_SKIP (comma-separated check-name prefixes to skip, e.g. "disbursement.deposit").
Prints `ok <name>` / `FAIL <name>: why` / `skip <name>` per check; exits 1 on any failure.

Where this client differs from MTN's docs:
- MomoApi.create("sandbox") hard-codes https://sandbox.momodeveloper.mtn.com; the exported
  constructors CollectionApi/DisbursementApi/SandboxApi(…, base_url, …) take any base URL (used here).
- Omits X-Target-Environment on /{product}/token/ (momo-openapi says the new platform requires it;
  the legacy platform and the sandbox do not). Sends `Accept: application/json`, UA python-httpx.
- Writes demand exactly 202; GETs accept any 2xx.
- check_account_holder() GETs /{product}/v1_0/accountholder/msisdn/{id}/active (lower-case) and
  is True only for a JSON object {"result": true} — a bare `true` body reads as False.
- deposit() sends the party as "payer" (it reuses PaymentRequest); MTN's Deposit body uses "payee".
- Against environment "sandbox" it overwrites every write's currency with EUR, whatever the request.
- refund() is POST /disbursement/v1_0/refund with "referenceIdToRefund" (v1_0, disbursement only).
- FAILED `reason` may be a bare string (MTN's GET status) or a {code, message} object.
- HTTP errors map by status: 400 BadRequestException, 401 InvalidSubscriptionKeyException (also for a
  wrong API key on /token/), 404 ResourceNotFoundException, 409 ConflictException,
  500 InternalServerErrorException, else MomoException; body {code, message} -> .code / str(e).
- No remittance, delivery notification or v2_0 endpoints.
"""
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from harness import CheckError, check, expect, summary  # noqa: E402

import momo_api
from momo_api import (CollectionApi, Config, ConflictException, DisbursementApi,
                      InvalidSubscriptionKeyException, PaymentRequest, RefundRequest,
                      ResourceNotFoundException, SandboxApi, Transaction, TransferRequest, generate_uuid)

SIM = os.environ.get("MTN_SIM_URL", "").rstrip("/")
KEY = os.environ.get("MTN_SUBSCRIPTION_KEY", "")
ENV = "sandbox"
POLL = float(os.environ.get("MTN_POLL_TIMEOUT", "5"))
DELAYED = float(os.environ.get("MTN_DELAYED_TIMEOUT", "30"))
OK_MSISDN = "46733123999"
# msisdn -> (reason, ErrorReason predicate the library documents for it)
FAILED_RTP = {"46733123450": ("INTERNAL_PROCESSING_ERROR", "is_internal_processing_error"),
              "46733123451": ("APPROVAL_REJECTED", "is_approval_rejected"),
              "46733123452": ("EXPIRED", "is_expired"),
              "46733123455": ("PAYER_NOT_FOUND", "is_payer_not_found")}
FAILED_TRANSFER = {"46733123450": ("INTERNAL_PROCESSING_ERROR", "is_internal_processing_error"),
                   "46733123455": ("NOT_ENOUGH_FUNDS", "is_not_enough_funds")}

def expect_raises(fn, cls, status, code):
    try:
        fn()
    except cls as exc:
        expect(exc.status_code == status, f"status_code {exc.status_code}, want {status}")
        expect(exc.code == code, f"code {exc.code!r}, want {code!r} (body {exc.body!r})")
        return exc
    raise CheckError(f"no {cls.__name__} raised")


def poll(get, ref, timeout):
    """Query until the status is terminal (SUCCESSFUL/FAILED) or the timeout passes."""
    deadline = time.monotonic() + timeout
    while True:
        tx = get(ref)
        expect(isinstance(tx, Transaction), f"got {type(tx).__name__}")
        if tx.is_successful() or tx.is_failed() or time.monotonic() > deadline:
            return tx
        time.sleep(0.2)


def main():
    if not SIM or not KEY:
        print("FAIL setup: MTN_SIM_URL and MTN_SUBSCRIPTION_KEY must be set")
        return 1
    sandbox = SandboxApi(KEY, SIM)

    def provision():
        user = generate_uuid()
        expect(sandbox.create_api_user(user, "localhost") == user, "create_api_user did not echo the id")
        info = sandbox.get_api_user(user)
        expect(isinstance(info, dict) and info.get("providerCallbackHost") == "localhost",
               f"get_api_user {info!r}")
        expect(info.get("targetEnvironment") == "sandbox", f"targetEnvironment {info.get('targetEnvironment')!r}")
        key = sandbox.create_api_key(user)
        expect(isinstance(key, str) and key, f"apiKey {key!r}")
        return user, key

    creds = check("sandbox.provision_user_and_key", provision)
    if creds is None:
        print("FAIL setup: cannot continue without API credentials")
        return 1
    user, api_key = creds
    col = CollectionApi(Config.collection(KEY, user, api_key), SIM, ENV)
    dis = DisbursementApi(Config.disbursement(KEY, user, api_key), SIM, ENV)

    def duplicate_user():
        expect_raises(lambda: sandbox.create_api_user(user, "localhost"), ConflictException, 409,
                      "RESOURCE_ALREADY_EXIST")

    check("sandbox.duplicate_api_user_409", duplicate_user)

    def token(client):
        def run():
            tok = client.get_access_token()
            expect(tok.access_token, "empty access_token")
            expect(tok.token_type == "access_token", f"token_type {tok.token_type!r}")
            expect(tok.expires_in > 60, f"expires_in {tok.expires_in!r} (<= 60 disables caching)")
            expect(client.get_access_token().access_token == tok.access_token, "token not cached")
        return run

    check("collection.token", token(col))
    check("disbursement.token", token(dis))

    def balance(client):
        def run():
            bal = client.get_balance()
            expect(bal.currency == "EUR", f"currency {bal.currency!r}")
            expect(isinstance(bal.available_balance, str) and bal.available_balance != "",
                   f"availableBalance {bal.available_balance!r}")
            float(bal.available_balance)
        return run

    check("collection.balance", balance(col))
    check("disbursement.balance", balance(dis))

    def holder(client, msisdn, want):
        def run():
            got = client.check_account_holder(msisdn)
            expect(got is want, f"check_account_holder({msisdn}) = {got!r}, want {want!r}")
        return run

    for name, client in (("collection", col), ("disbursement", dis)):
        check(f"{name}.account_holder.active.{OK_MSISDN}", holder(client, OK_MSISDN, True))
        check(f"{name}.account_holder.inactive.46733123455", holder(client, "46733123455", False))

    # --- request to pay -------------------------------------------------------------------
    def rtp_success():
        ext = f"mc-{uuid.uuid4().hex[:8]}"
        ref = col.request_to_pay(PaymentRequest.make("100", OK_MSISDN, ext, "EUR", "fidelity", "note"))
        tx = poll(col.get_payment_status, ref, POLL)
        expect(tx.is_successful(), f"status {tx.status!r} after {POLL}s: {tx.raw!r}")
        expect(tx.amount == "100" and tx.currency == "EUR", f"amount/currency {tx.raw!r}")
        expect(tx.external_id == ext, f"externalId {tx.external_id!r}")
        expect(tx.payer == OK_MSISDN, f"payer {tx.payer!r}")
        expect(isinstance(tx.financial_transaction_id, str) and tx.financial_transaction_id,
               f"financialTransactionId {tx.financial_transaction_id!r}")
        expect(tx.reason is None, f"reason on success: {tx.reason!r}")
        return ref

    paid_ref = check("collection.request_to_pay.successful", rtp_success)

    def quick_pay_currency():
        # Built with XAF: in the sandbox the library must send EUR, so the status echoes EUR.
        ref = col.quick_pay("25", OK_MSISDN, "mc-quick", "XAF")
        tx = poll(col.get_payment_status, ref, POLL)
        expect(tx.is_successful(), f"status {tx.status!r}")
        expect(tx.currency == "EUR", f"currency {tx.currency!r}")

    check("collection.quick_pay.sandbox_currency_eur", quick_pay_currency)

    def rtp_failed(msisdn, reason, predicate):
        def run():
            ref = col.request_to_pay(PaymentRequest.make("100", msisdn, "mc-fail", "EUR"))
            tx = poll(col.get_payment_status, ref, POLL)
            expect(tx.is_failed(), f"status {tx.status!r}: {tx.raw!r}")
            expect(isinstance(tx.raw.get("reason"), str), f"reason not a bare string: {tx.raw.get('reason')!r}")
            expect(tx.reason is not None and tx.reason.code == reason, f"reason {tx.reason!r}, want {reason}")
            expect(getattr(tx.reason, predicate)(), f"{predicate}() is False")
        return run

    for msisdn, (reason, predicate) in FAILED_RTP.items():
        check(f"collection.request_to_pay.failed.{msisdn}.{reason}", rtp_failed(msisdn, reason, predicate))

    def rtp_ongoing():
        ref = col.request_to_pay(PaymentRequest.make("100", "46733123453", "mc-ongoing", "EUR"))
        expect(col.get_payment_status(ref).is_pending(), "first status not PENDING")
        time.sleep(1.0)
        tx = col.get_payment_status(ref)
        expect(tx.is_pending(), f"status after 1s {tx.status!r}")

    check("collection.request_to_pay.pending.46733123453", rtp_ongoing)

    def rtp_delayed():
        ref = col.request_to_pay(PaymentRequest.make("100", "46733123454", "mc-delayed", "EUR"))
        first = col.get_payment_status(ref)
        expect(first.is_pending(), f"first status {first.status!r}, want PENDING")
        tx = poll(col.get_payment_status, ref, DELAYED)
        expect(tx.is_successful(), f"status {tx.status!r} after {DELAYED}s")

    check("collection.request_to_pay.delayed.46733123454", rtp_delayed)

    def rtp_duplicate():
        ref = generate_uuid()
        req = PaymentRequest.make("100", OK_MSISDN, "mc-dup", "EUR")
        expect(col.request_to_pay(req, ref) == ref, "reference not echoed")
        exc = expect_raises(lambda: col.request_to_pay(req, ref), ConflictException, 409, "RESOURCE_ALREADY_EXIST")
        expect(str(exc), "empty message")

    check("collection.request_to_pay.duplicate_reference_409", rtp_duplicate)
    check("collection.status.unknown_reference_404",
          lambda: expect_raises(lambda: col.get_payment_status(generate_uuid()),
                                ResourceNotFoundException, 404, "RESOURCE_NOT_FOUND"))

    # --- disbursement: transfer, deposit, refund -----------------------------------------------
    def transfer_success():
        ref = dis.transfer(TransferRequest.make("50", OK_MSISDN, "mc-payout", "EUR", "m", "n"))
        tx = poll(dis.get_transfer_status, ref, POLL)
        expect(tx.is_successful(), f"status {tx.status!r}: {tx.raw!r}")
        expect(tx.payee == OK_MSISDN, f"payee {tx.payee!r}")
        expect(tx.amount == "50" and tx.currency == "EUR", f"amount/currency {tx.raw!r}")
        expect(isinstance(tx.financial_transaction_id, str), "financialTransactionId not a string")

    check("disbursement.transfer.successful", transfer_success)

    def transfer_failed(msisdn, reason, predicate):
        def run():
            ref = dis.transfer(TransferRequest.make("50", msisdn, "mc-payout-fail", "EUR"))
            tx = poll(dis.get_transfer_status, ref, POLL)
            expect(tx.is_failed(), f"status {tx.status!r}: {tx.raw!r}")
            expect(tx.reason is not None and tx.reason.code == reason, f"reason {tx.reason!r}, want {reason}")
            expect(getattr(tx.reason, predicate)(), f"{predicate}() is False")
        return run

    for msisdn, (reason, predicate) in FAILED_TRANSFER.items():
        check(f"disbursement.transfer.failed.{msisdn}.{reason}", transfer_failed(msisdn, reason, predicate))

    def transfer_duplicate():
        ref = generate_uuid()
        req = TransferRequest.make("50", OK_MSISDN, "mc-dup", "EUR")
        dis.transfer(req, ref)
        expect_raises(lambda: dis.transfer(req, ref), ConflictException, 409, "RESOURCE_ALREADY_EXIST")

    check("disbursement.transfer.duplicate_reference_409", transfer_duplicate)
    check("disbursement.transfer.unknown_reference_404",
          lambda: expect_raises(lambda: dis.get_transfer_status(generate_uuid()),
                                ResourceNotFoundException, 404, "RESOURCE_NOT_FOUND"))

    def deposit():
        # The library sends {"payer": {...}} here, not MTN's "payee" (see header).
        ref = dis.deposit(PaymentRequest.make("30", OK_MSISDN, "mc-deposit", "EUR"))
        tx = poll(dis.get_deposit_status, ref, POLL)
        expect(tx.is_successful(), f"status {tx.status!r}: {tx.raw!r}")
        expect(tx.amount == "30" and tx.currency == "EUR", f"amount/currency {tx.raw!r}")

    check("disbursement.deposit.successful", deposit)
    check("disbursement.deposit.unknown_reference_404",
          lambda: expect_raises(lambda: dis.get_deposit_status(generate_uuid()),
                                ResourceNotFoundException, 404, "RESOURCE_NOT_FOUND"))

    def refund():
        expect(paid_ref is not None, "no successful request-to-pay to refund")
        ref = dis.refund(RefundRequest.make("40", paid_ref, "mc-refund", "EUR", "refund", "refund"))
        tx = poll(dis.get_refund_status, ref, POLL)
        expect(tx.is_successful(), f"status {tx.status!r}: {tx.raw!r}")
        expect(tx.amount == "40" and tx.currency == "EUR", f"amount/currency {tx.raw!r}")
        expect(isinstance(tx.financial_transaction_id, str), "financialTransactionId not a string")

    check("disbursement.refund.successful", refund)

    def refund_duplicate():
        expect(paid_ref is not None, "no successful request-to-pay to refund")
        ref = generate_uuid()
        req = RefundRequest.make("1", paid_ref, "mc-refund-dup", "EUR")
        dis.refund(req, ref)
        expect_raises(lambda: dis.refund(req, ref), ConflictException, 409, "RESOURCE_ALREADY_EXIST")

    check("disbursement.refund.duplicate_reference_409", refund_duplicate)
    check("disbursement.refund.unknown_reference_404",
          lambda: expect_raises(lambda: dis.get_refund_status(generate_uuid()),
                                ResourceNotFoundException, 404, "RESOURCE_NOT_FOUND"))

    # --- auth errors --------------------------------------------------------------------
    def wrong_key(cls, factory):
        def run():
            bad = cls(factory(KEY, user, "wrong-" + api_key), SIM, ENV)
            exc = expect_raises(bad.get_access_token, InvalidSubscriptionKeyException, 401, None)
            expect(str(exc), "empty message")
            expect_raises(bad.get_balance, InvalidSubscriptionKeyException, 401, None)
        return run

    check("collection.token.wrong_api_key_401", wrong_key(CollectionApi, Config.collection))
    check("disbursement.token.wrong_api_key_401", wrong_key(DisbursementApi, Config.disbursement))

    return summary(f"mtn-momo-client {momo_api.__version__}")


if __name__ == "__main__":
    sys.exit(main())
