-- Collections: collection requests (bills) with SIMO/ERV references, payments ingested from
-- banks and files with their reconciliation outcome, imported files, and payment records.

CREATE TABLE collection_requests (
    seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
    id                     TEXT NOT NULL UNIQUE,
    merchant_id            TEXT NOT NULL REFERENCES merchants(id),
    mode                   TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    status                 TEXT NOT NULL CHECK (status IN ('open', 'partially_paid', 'paid', 'expired', 'cancelled')),
    amount                 BIGINT NOT NULL CHECK (amount > 0),
    amount_paid            BIGINT NOT NULL CHECK (amount_paid >= 0 AND amount_paid <= amount),
    amount_overpaid        BIGINT NOT NULL CHECK (amount_overpaid >= 0),
    currency               TEXT NOT NULL CHECK (currency IN ('CVE', 'AOA', 'MZN', 'XOF', 'XAF')),
    allow_instalments      BIGINT NOT NULL CHECK (allow_instalments IN (0, 1)),
    allow_reuse            BIGINT NOT NULL CHECK (allow_reuse IN (0, 1)),
    methods                TEXT NOT NULL,
    erv_entity             TEXT CHECK (erv_entity IS NULL OR length(erv_entity) = 5),
    erv_reference          TEXT CHECK (erv_reference IS NULL OR length(erv_reference) = 11),
    erv_with_amount        BIGINT NOT NULL CHECK (erv_with_amount IN (0, 1)),
    description            TEXT,
    payer                  TEXT NOT NULL,
    due_at                 BIGINT,
    third_party_reference  TEXT,
    bill_number            TEXT NOT NULL,
    metadata               TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    -- Paid exactly when nothing is left to pay.
    CHECK ((status = 'paid') = (amount_paid = amount)),
    CHECK ((erv_entity IS NULL) = (erv_reference IS NULL))
);
CREATE INDEX collection_requests_listing ON collection_requests (merchant_id, mode, seq);
-- An ERV reference names one bill while it can be paid, so a bank payment has one home.
CREATE UNIQUE INDEX collection_requests_open_reference ON collection_requests (merchant_id, mode, erv_entity, erv_reference)
    WHERE erv_reference IS NOT NULL AND status IN ('open', 'partially_paid');
-- Every reference ever issued, to find the paid bill a late payment names.
CREATE INDEX collection_requests_reference ON collection_requests (merchant_id, mode, erv_reference, seq) WHERE erv_reference IS NOT NULL;
CREATE UNIQUE INDEX collection_requests_open_third_party ON collection_requests (merchant_id, mode, third_party_reference)
    WHERE third_party_reference IS NOT NULL AND status IN ('open', 'partially_paid');
CREATE INDEX collection_requests_due ON collection_requests (due_at) WHERE due_at IS NOT NULL AND status IN ('open', 'partially_paid');

-- Every payment reported from outside, once per (source, external id), with its outcome.
CREATE TABLE ingested_payments (
    seq                    INTEGER PRIMARY KEY AUTOINCREMENT,
    id                     TEXT NOT NULL UNIQUE,
    merchant_id            TEXT NOT NULL REFERENCES merchants(id),
    mode                   TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    source                 TEXT NOT NULL CHECK (length(source) BETWEEN 1 AND 100),
    external_id            TEXT NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    amount                 BIGINT NOT NULL CHECK (amount > 0),
    currency               TEXT NOT NULL CHECK (currency IN ('CVE', 'AOA', 'MZN', 'XOF', 'XAF')),
    status                 TEXT NOT NULL CHECK (status IN ('pending', 'completed', 'failed')),
    method_type            TEXT,
    nib                    TEXT,
    entity_number          TEXT,
    reference_number       TEXT,
    reference              TEXT,
    processed_at           BIGINT NOT NULL,
    outcome                TEXT NOT NULL CHECK (outcome IN ('matched', 'unmatched', 'duplicate', 'amount_mismatch')),
    detail                 TEXT NOT NULL,
    collection_request_id  TEXT REFERENCES collection_requests(id),
    payment_id             TEXT REFERENCES payments(id),
    resolution             TEXT CHECK (resolution IN ('matched', 'return')),
    resolved_by            TEXT,
    resolved_at            BIGINT,
    resolution_note        TEXT,
    file_id                TEXT,
    fingerprint            TEXT NOT NULL,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL,
    UNIQUE (merchant_id, mode, source, external_id),
    -- A decision is whole: what, who and when together; only exceptions get one.
    CHECK ((resolution IS NULL) = (resolved_by IS NULL) AND (resolution IS NULL) = (resolved_at IS NULL)),
    CHECK (resolution IS NULL OR outcome <> 'matched')
);
CREATE INDEX ingested_payments_listing ON ingested_payments (merchant_id, mode, seq);
CREATE INDEX ingested_payments_exceptions ON ingested_payments (merchant_id, mode, seq) WHERE outcome <> 'matched' AND resolution IS NULL AND status <> 'failed';
CREATE INDEX ingested_payments_report ON ingested_payments (merchant_id, mode, processed_at);
CREATE INDEX ingested_payments_same ON ingested_payments (merchant_id, mode, reference_number, amount, processed_at, seq);
-- A payment record is made once per ingested payment.
CREATE UNIQUE INDEX ingested_payments_payment ON ingested_payments (payment_id) WHERE payment_id IS NOT NULL;

-- Bank files imported (MEPS), to refuse a second import and to report a gap in the sequence.
CREATE TABLE reconciliation_files (
    merchant_id   TEXT NOT NULL REFERENCES merchants(id),
    mode          TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    kind          TEXT NOT NULL CHECK (kind IN ('meps')),
    file_id       TEXT NOT NULL,
    previous_id   TEXT,
    entity        TEXT NOT NULL,
    records       BIGINT NOT NULL,
    total         BIGINT NOT NULL,
    gap           TEXT,
    imported_at   BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, mode, kind, file_id)
);

-- Payment records: money that moved outside Kumbu, on the `external` rail.
-- No foreign key: a record may name a bill kept outside Kumbu (Kulpay keeps bills in another
-- service); only a bill of Kumbu's own is counted towards.
ALTER TABLE payments ADD COLUMN collection_request_id TEXT;
ALTER TABLE payments ADD COLUMN record_details TEXT;
ALTER TABLE payments ADD COLUMN record_channel TEXT;
ALTER TABLE payments ADD COLUMN record_provider TEXT;
ALTER TABLE payments ADD COLUMN deleted_at BIGINT;
CREATE INDEX payments_collection ON payments (collection_request_id) WHERE collection_request_id IS NOT NULL;

-- The merchant's SIMO entity (5 digits), as SIMO gave it (live mode, and test mode when set),
-- and the one the sandbox assigned (test mode only, from 70001), so that a sandbox entity never
-- reaches live bills.
ALTER TABLE merchants ADD COLUMN erv_entity TEXT;
CREATE UNIQUE INDEX merchants_erv_entity ON merchants (erv_entity) WHERE erv_entity IS NOT NULL;
ALTER TABLE merchants ADD COLUMN erv_test_entity TEXT;
CREATE UNIQUE INDEX merchants_erv_test_entity ON merchants (erv_test_entity) WHERE erv_test_entity IS NOT NULL;
