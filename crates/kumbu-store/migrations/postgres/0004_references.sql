-- Bank references (Multicaixa), their id generator, Multicaixa periods, payments by reference,
-- merchants' Multicaixa entity, and webhook body formats (native or ProxyPay).

CREATE TABLE bank_references (
    merchant_id    TEXT NOT NULL REFERENCES merchants(id),
    mode           TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    id             BIGINT NOT NULL CHECK (id BETWEEN 1 AND 999999999),
    amount         BIGINT CHECK (amount IS NULL OR amount BETWEEN 1 AND 9999999999),
    end_at         BIGINT,
    custom_fields  TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('active', 'paid', 'deleted')),
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, mode, id)
);

-- One maximum-length LFSR per merchant and mode: `state` is the last id handed out.
CREATE TABLE reference_id_generators (
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    mode         TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    state        BIGINT NOT NULL CHECK (state > 0),
    issued       BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, mode)
);

-- The last transaction number of each Multicaixa period (keyed by the period's start), per
-- merchant and mode: one merchant's numbers say nothing about another's volume.
CREATE TABLE multicaixa_periods (
    merchant_id       TEXT NOT NULL REFERENCES merchants(id),
    mode              TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    period_start      BIGINT NOT NULL,
    last_transaction  BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, mode, period_start)
);

-- Named counters incremented atomically (e.g. the next Multicaixa entity to assign).
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  BIGINT NOT NULL
);

-- A payment by reference has no payer phone: it is stored as '' (SQLite cannot drop the
-- column's NOT NULL in place; both backends use the same encoding). The bank's details are
-- kept as JSON beside the two ids that are looked up.
ALTER TABLE payments ADD COLUMN bank_reference_id BIGINT;
ALTER TABLE payments ADD COLUMN bank_payment_id BIGINT;
ALTER TABLE payments ADD COLUMN bank_details TEXT;
CREATE UNIQUE INDEX payments_bank ON payments (merchant_id, mode, bank_payment_id) WHERE bank_payment_id IS NOT NULL;

ALTER TABLE merchants ADD COLUMN multicaixa_entity BIGINT;
CREATE UNIQUE INDEX merchants_entity ON merchants (multicaixa_entity) WHERE multicaixa_entity IS NOT NULL;

ALTER TABLE webhook_endpoints ADD COLUMN format TEXT NOT NULL DEFAULT 'native' CHECK (format IN ('native', 'proxypay', 'plexospay', 'adullam'));
