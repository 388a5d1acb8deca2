#!/usr/bin/env node
// Fidelity harness: drives npm `mtn-momo` 2.0.0 (sparkplug/momoapi-node), unchanged and through
// its public API only, against a running `kumbu simulate mtn-momo` and checks the results.
//
// Env: MTN_SIM_URL (e.g. http://127.0.0.1:8090), MTN_SUBSCRIPTION_KEY (accepted for every product).
// Optional: MTN_POLL_TIMEOUT (s, default 5), MTN_DELAYED_TIMEOUT (s, default 30, for 46733123454),
// MTN_FIDELITY_SKIP (comma-separated check-name prefixes to skip). `mtn-momo` is resolved through
// NODE_PATH (run.sh points it at $KUMBU_FIDELITY_DIR/npm/node_modules).
// Prints `ok <name>` / `FAIL <name>: why` / `skip <name>` per check; exits 1 on any failure.
//
// Where this client differs from MTN's docs:
// - Collections.isPayerActive() GETs /collection/v1_0/accountholder/MSISDN/{id}/active (upper-case
//   type; MTN documents lower-case) and returns the raw body; Disbursements.isPayerActive() lower-cases
//   it and returns `data.result ? data.result : false`, so a bare `true` body reads as false: the
//   server must answer {"result": true|false}.
// - Replaces axios' default headers: every request (provisioning and /token/ included) carries
//   Ocp-Apim-Subscription-Key and X-Target-Environment, and no Accept header; UA axios/0.21.4.
// - getTransaction() rejects a FAILED transaction with an error class chosen by `reason` compared as
//   a string (INTERNAL_PROCESSING_ERROR -> InternalProcessingError, APPROVAL_REJECTED ->
//   ApprovalRejectedError, EXPIRED -> ExpiredError, PAYER_NOT_FOUND -> PayerNotFoundError,
//   NOT_ENOUGH_FUNDS -> NotEnoughFundsError, other/object -> UnspecifiedError); PENDING resolves.
// - HTTP errors are typed by the body's `code` only (status ignored); a 401 {"error":"login_failed"}
//   has no `code`, so a wrong API key surfaces as UnspecifiedError (there is no auth error class).
// - requestToPay() always generates its own X-Reference-Id (no 409 test possible); transfer() takes
//   `referenceId` (must be a uuid v4). Request bodies are passed through verbatim (no type coercion).
// - Accepts any 2xx everywhere (MTN: 201/202/200). No refund, deposit, remittance, delivery
//   notification or v2_0 endpoints.
"use strict";

const momo = require("mtn-momo");
const { randomUUID: uuidv4 } = require("crypto");

const SIM = (process.env.MTN_SIM_URL || "").replace(/\/+$/, "");
const KEY = process.env.MTN_SUBSCRIPTION_KEY || "";
const POLL = Number(process.env.MTN_POLL_TIMEOUT || "5") * 1000;
const DELAYED = Number(process.env.MTN_DELAYED_TIMEOUT || "30") * 1000;
const SKIP = (process.env.MTN_FIDELITY_SKIP || "").split(",").map((s) => s.trim()).filter(Boolean);
const OK_MSISDN = "46733123999";
const FAILED_RTP = {
  "46733123450": ["INTERNAL_PROCESSING_ERROR", momo.InternalProcessingError],
  "46733123451": ["APPROVAL_REJECTED", momo.ApprovalRejectedError],
  "46733123452": ["EXPIRED", momo.ExpiredError],
  "46733123455": ["PAYER_NOT_FOUND", momo.PayerNotFoundError],
};
const FAILED_TRANSFER = {
  "46733123450": ["INTERNAL_PROCESSING_ERROR", momo.InternalProcessingError],
  "46733123455": ["NOT_ENOUGH_FUNDS", momo.NotEnoughFundsError],
};

let failures = 0;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function expect(cond, why) {
  if (!cond) throw new Error(why);
}

async function check(name, fn) {
  if (SKIP.some((p) => name.startsWith(p))) {
    console.log(`skip ${name}`);
    return undefined;
  }
  try {
    const result = await fn();
    console.log(`ok ${name}`);
    return result;
  } catch (e) {
    failures += 1;
    const what = e && e.name ? `${e.name}: ${e.message}` : String(e);
    console.log(`FAIL ${name}: ${what}`);
    return undefined;
  }
}

// Await `promise`, expecting it to reject with an instance of `cls`; returns the error.
async function expectReject(promise, cls) {
  let value;
  try {
    value = await promise;
  } catch (e) {
    expect(e instanceof cls, `rejected with ${e && e.name} (${e && e.message}), want ${cls.name}`);
    expect(e instanceof momo.MtnMoMoError, `${e.name} is not an MtnMoMoError`);
    return e;
  }
  throw new Error(`resolved ${JSON.stringify(value)}, want rejection with ${cls.name}`);
}

// Poll getTransaction until it resolves non-PENDING or rejects (FAILED), or the timeout passes.
// Returns {tx} or {error}.
async function poll(product, ref, timeout) {
  const deadline = Date.now() + timeout;
  for (;;) {
    let tx;
    try {
      tx = await product.getTransaction(ref);
    } catch (error) {
      if (error instanceof momo.MtnMoMoError && error.transaction) return { error };
      throw error;
    }
    expect(tx && typeof tx === "object", `status body ${JSON.stringify(tx)}`);
    if (!["PENDING", "CREATED", undefined].includes(tx.status) || Date.now() > deadline) return { tx };
    await sleep(200);
  }
}

function rtpBody(msisdn, externalId) {
  return {
    amount: "100",
    currency: "EUR",
    externalId,
    payer: { partyIdType: momo.PayerType.MSISDN, partyId: msisdn },
    payerMessage: "fidelity",
    payeeNote: "note",
  };
}

function transferBody(msisdn, externalId, extra) {
  return Object.assign({
    amount: "50",
    currency: "EUR",
    externalId,
    payee: { partyIdType: momo.PayerType.MSISDN, partyId: msisdn },
    payerMessage: "m",
    payeeNote: "n",
  }, extra || {});
}

async function main() {
  if (!SIM || !KEY) {
    console.log("FAIL setup: MTN_SIM_URL and MTN_SUBSCRIPTION_KEY must be set");
    return 1;
  }
  const api = momo.create({ callbackHost: "localhost", baseUrl: SIM, environment: momo.Environment.SANDBOX });

  const creds = await check("sandbox.provision_user_and_key", async () => {
    const users = api.Users({ primaryKey: KEY });
    const userId = await users.create("localhost");
    expect(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i.test(userId), `user id ${userId}`);
    const login = await users.login(userId);
    expect(login && typeof login.apiKey === "string" && login.apiKey, `apikey body ${JSON.stringify(login)}`);
    return { userId, userSecret: login.apiKey };
  });
  if (!creds) {
    console.log("FAIL setup: cannot continue without API credentials");
    return 1;
  }
  const col = api.Collections({ primaryKey: KEY, userId: creds.userId, userSecret: creds.userSecret });
  const dis = api.Disbursements({ primaryKey: KEY, userId: creds.userId, userSecret: creds.userSecret });

  for (const [name, product] of [["collection", col], ["disbursement", dis]]) {
    await check(`${name}.balance`, async () => {
      const bal = await product.getBalance();
      expect(bal && typeof bal.availableBalance === "string" && !isNaN(Number(bal.availableBalance)),
        `availableBalance in ${JSON.stringify(bal)}`);
      expect(bal.currency === "EUR", `currency ${bal.currency}`);
    });
  }

  // Collections returns the raw body; MTN's is {"result": <bool>}.
  await check(`collection.account_holder.active.${OK_MSISDN}`, async () => {
    const body = await col.isPayerActive(OK_MSISDN);
    expect(body && body.result === true, `body ${JSON.stringify(body)}, want {"result":true}`);
  });
  await check("collection.account_holder.inactive.46733123455", async () => {
    const body = await col.isPayerActive("46733123455");
    expect(body && body.result === false, `body ${JSON.stringify(body)}, want {"result":false}`);
  });
  await check(`disbursement.account_holder.active.${OK_MSISDN}`, async () => {
    const active = await dis.isPayerActive(OK_MSISDN);
    expect(active === true, `isPayerActive = ${JSON.stringify(active)}, want true`);
  });
  await check("disbursement.account_holder.inactive.46733123455", async () => {
    const active = await dis.isPayerActive("46733123455");
    expect(active === false, `isPayerActive = ${JSON.stringify(active)}, want false`);
  });

  // --- request to pay -----------------------------------------------------------------------
  await check("collection.request_to_pay.successful", async () => {
    const ext = `nm-${uuidv4().slice(0, 8)}`;
    const ref = await col.requestToPay(Object.assign(rtpBody(OK_MSISDN, ext), { callbackUrl: "http://localhost/momo" }));
    expect(typeof ref === "string" && ref.length === 36, `reference ${ref}`);
    const { tx, error } = await poll(col, ref, POLL);
    expect(!error, `rejected: ${error && error.name}`);
    expect(tx.status === momo.Status.SUCCESSFUL, `status ${tx.status} after ${POLL} ms: ${JSON.stringify(tx)}`);
    expect(tx.amount === "100" && tx.currency === "EUR", `amount/currency ${JSON.stringify(tx)}`);
    expect(tx.externalId === ext, `externalId ${tx.externalId}`);
    expect(tx.payer && tx.payer.partyIdType === "MSISDN" && tx.payer.partyId === OK_MSISDN, `payer ${JSON.stringify(tx.payer)}`);
    expect(typeof tx.financialTransactionId === "string" && tx.financialTransactionId, `financialTransactionId ${tx.financialTransactionId}`);
  });

  for (const [msisdn, [reason, cls]] of Object.entries(FAILED_RTP)) {
    await check(`collection.request_to_pay.failed.${msisdn}.${reason}`, async () => {
      const ref = await col.requestToPay(rtpBody(msisdn, "nm-fail"));
      const { tx, error } = await poll(col, ref, POLL);
      expect(error, `resolved with status ${tx && tx.status}, want rejection`);
      expect(error instanceof cls, `rejected with ${error.name}, want ${cls.name} (reason ${JSON.stringify(error.transaction.reason)})`);
      expect(error.transaction.status === "FAILED" && error.transaction.reason === reason,
        `transaction ${JSON.stringify(error.transaction)}`);
    });
  }

  await check("collection.request_to_pay.pending.46733123453", async () => {
    const ref = await col.requestToPay(rtpBody("46733123453", "nm-ongoing"));
    let tx = await col.getTransaction(ref);
    expect(tx.status === momo.Status.PENDING, `first status ${tx.status}`);
    await sleep(1000);
    tx = await col.getTransaction(ref);
    expect(tx.status === momo.Status.PENDING, `status after 1s ${tx.status}`);
  });

  await check("collection.request_to_pay.delayed.46733123454", async () => {
    const ref = await col.requestToPay(rtpBody("46733123454", "nm-delayed"));
    const first = await col.getTransaction(ref);
    expect(first.status === momo.Status.PENDING, `first status ${first.status}, want PENDING`);
    const { tx, error } = await poll(col, ref, DELAYED);
    expect(!error, `rejected: ${error && error.name}`);
    expect(tx.status === momo.Status.SUCCESSFUL, `status ${tx.status} after ${DELAYED} ms`);
  });

  await check("collection.status.unknown_reference_404", async () => {
    const e = await expectReject(col.getTransaction(uuidv4()), momo.ResourceNotFoundError);
    expect(e.message === "Requested resource was not found.", `message ${JSON.stringify(e.message)}`);
  });

  // --- transfers ----------------------------------------------------------------------------
  await check("disbursement.transfer.successful", async () => {
    const ref = await dis.transfer(transferBody(OK_MSISDN, "nm-payout"));
    const { tx, error } = await poll(dis, ref, POLL);
    expect(!error, `rejected: ${error && error.name}`);
    expect(tx.status === momo.Status.SUCCESSFUL, `status ${tx.status}: ${JSON.stringify(tx)}`);
    expect(tx.payee && tx.payee.partyId === OK_MSISDN, `payee ${JSON.stringify(tx.payee)}`);
    expect(tx.amount === "50" && tx.currency === "EUR", `amount/currency ${JSON.stringify(tx)}`);
    expect(typeof tx.financialTransactionId === "string", "financialTransactionId not a string");
  });

  for (const [msisdn, [reason, cls]] of Object.entries(FAILED_TRANSFER)) {
    await check(`disbursement.transfer.failed.${msisdn}.${reason}`, async () => {
      const ref = await dis.transfer(transferBody(msisdn, "nm-payout-fail"));
      const { tx, error } = await poll(dis, ref, POLL);
      expect(error, `resolved with status ${tx && tx.status}, want rejection`);
      expect(error instanceof cls, `rejected with ${error.name}, want ${cls.name} (reason ${JSON.stringify(error.transaction.reason)})`);
      expect(error.transaction.reason === reason, `reason ${JSON.stringify(error.transaction.reason)}`);
    });
  }

  await check("disbursement.transfer.duplicate_reference_409", async () => {
    const referenceId = uuidv4();
    const ref = await dis.transfer(transferBody(OK_MSISDN, "nm-dup", { referenceId }));
    expect(ref === referenceId, `reference ${ref}, want ${referenceId}`);
    const e = await expectReject(dis.transfer(transferBody(OK_MSISDN, "nm-dup", { referenceId })),
      momo.ResourceAlreadyExistError);
    expect(e.message === "Duplicated reference id. Creation of resource failed.", `message ${JSON.stringify(e.message)}`);
  });

  await check("disbursement.status.unknown_reference_404", async () => {
    await expectReject(dis.getTransaction(uuidv4()), momo.ResourceNotFoundError);
  });

  // --- auth errors: 401 {"error":"login_failed"} has no `code`, so UnspecifiedError ------------
  await check("collection.token.wrong_api_key_401", async () => {
    const bad = api.Collections({ primaryKey: KEY, userId: creds.userId, userSecret: "wrong-" + creds.userSecret });
    await expectReject(bad.getBalance(), momo.UnspecifiedError);
  });
  await check("disbursement.token.wrong_api_key_401", async () => {
    const bad = api.Disbursements({ primaryKey: KEY, userId: creds.userId, userSecret: "wrong-" + creds.userSecret });
    await expectReject(bad.getTransaction(uuidv4()), momo.UnspecifiedError);
  });

  const version = require("mtn-momo/package.json").version;
  console.log(`mtn-momo ${version}: ${failures ? "FAILED" : "passed"} (${failures} failure(s))`);
  return failures ? 1 : 0;
}

main().then((code) => process.exit(code), (e) => {
  console.log(`FAIL harness: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
