-- Customers, and what a payment may say about the payer beyond the phone.

CREATE TABLE customers (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id           TEXT NOT NULL UNIQUE,
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    mode         TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    phone        TEXT,
    operator     TEXT,
    country      TEXT,
    name         TEXT,
    email        TEXT,
    metadata     TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL
);
CREATE INDEX customers_listing ON customers (merchant_id, mode, seq);

ALTER TABLE payments ADD COLUMN statement_descriptor TEXT;
ALTER TABLE payments ADD COLUMN customer_id TEXT REFERENCES customers(id);
