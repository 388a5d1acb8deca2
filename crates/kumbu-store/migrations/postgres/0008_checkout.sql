-- Checkout sessions (the hosted payment page), payments as attempts of a session, merchant
-- branding for the page, and Simiz-format webhook endpoints.

CREATE TABLE checkout_sessions (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE,
    token           TEXT NOT NULL UNIQUE,
    uuid            TEXT NOT NULL UNIQUE,
    merchant_id     TEXT NOT NULL REFERENCES merchants(id),
    mode            TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    status          TEXT NOT NULL CHECK (status IN ('open', 'completed', 'expired', 'cancelled')),
    amount          BIGINT NOT NULL CHECK (amount > 0),
    currency        TEXT NOT NULL CHECK (currency IN ('CVE', 'AOA', 'MZN', 'XOF', 'XAF')),
    items           TEXT NOT NULL,
    operators       TEXT NOT NULL,
    return_url      TEXT NOT NULL,
    cancel_url      TEXT,
    locale          TEXT CHECK (locale IN ('fr', 'pt', 'en')),
    customer_name   TEXT,
    customer_phone  TEXT,
    customer_id     TEXT REFERENCES customers(id),
    description     TEXT,
    metadata        TEXT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    attempt_id      TEXT REFERENCES payments(id),
    payment_id      TEXT REFERENCES payments(id),
    completed_at    BIGINT,
    expires_at      BIGINT NOT NULL,
    created_at      BIGINT NOT NULL,
    updated_at      BIGINT NOT NULL,
    next_action_at  BIGINT,
    -- Completed exactly when an attempt paid it.
    CHECK ((status = 'completed') = (payment_id IS NOT NULL AND completed_at IS NOT NULL))
);
CREATE INDEX checkout_sessions_listing ON checkout_sessions (merchant_id, mode, seq);
CREATE INDEX checkout_sessions_due ON checkout_sessions (next_action_at) WHERE next_action_at IS NOT NULL;

ALTER TABLE payments ADD COLUMN checkout_session_id TEXT REFERENCES checkout_sessions(id);
-- At most one attempt of a session waits for its payer, whatever the engine's checks.
CREATE UNIQUE INDEX payments_one_attempt_in_flight ON payments (checkout_session_id)
    WHERE checkout_session_id IS NOT NULL AND status IN ('created', 'operator_pending', 'user_confirming');
-- Prompts sent from checkout pages to one number, for the page's per-number limit.
CREATE INDEX payments_checkout_phone ON payments (payer_phone, created_at) WHERE checkout_session_id IS NOT NULL;

ALTER TABLE merchants ADD COLUMN brand_color TEXT;
ALTER TABLE merchants ADD COLUMN logo TEXT;

ALTER TABLE webhook_endpoints DROP CONSTRAINT webhook_endpoints_format_check;
ALTER TABLE webhook_endpoints ADD CONSTRAINT webhook_endpoints_format_check CHECK (format IN ('native', 'proxypay', 'plexospay', 'adullam', 'simiz'));
