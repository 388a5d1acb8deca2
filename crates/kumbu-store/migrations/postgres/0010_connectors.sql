-- Live connectors: each merchant's operator credentials, sealed by the engine's vault (the store
-- never sees them in clear), and a way to find a payment by the reference an operator calls back
-- with.

CREATE TABLE operator_credentials (
    -- `<merchant id>/<operator code>`: the sealed value's associated data names it.
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    operator     TEXT NOT NULL,
    -- What may be shown (target environment, callback host, products), as JSON.
    summary      TEXT NOT NULL,
    -- Everything, sealed.
    sealed       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    UNIQUE (merchant_id, operator)
);

CREATE INDEX payments_operator_reference ON payments (operator_reference)
    WHERE operator_reference IS NOT NULL;
CREATE INDEX refunds_operator_refund_id ON refunds (operator_refund_id)
    WHERE operator_refund_id IS NOT NULL;

-- While a process waits on an operator for a payment, the payment is leased to it; an
-- operator's callback during the lease is remembered (poked_at) instead of making the payment
-- due at once, so that it never causes a second, concurrent call.
ALTER TABLE payments ADD COLUMN lease_until BIGINT;
ALTER TABLE payments ADD COLUMN poked_at BIGINT;
