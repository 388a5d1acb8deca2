-- Webhook endpoints, one delivery per (event, endpoint), and every attempt.
CREATE TABLE webhook_endpoints (
    id                     TEXT PRIMARY KEY,
    merchant_id            TEXT NOT NULL REFERENCES merchants(id),
    mode                   TEXT NOT NULL CHECK (mode IN ('test', 'live')),
    url                    TEXT NOT NULL,
    description            TEXT,
    -- '*' or the subscribed types between commas: ',payment.settled,payment.failed,'
    events                 TEXT NOT NULL,
    status                 TEXT NOT NULL CHECK (status IN ('enabled', 'disabled', 'deleted')),
    secret                 TEXT NOT NULL,
    previous_secret        TEXT,
    previous_secret_until  BIGINT,
    failing_since          BIGINT,
    created_at             BIGINT NOT NULL,
    updated_at             BIGINT NOT NULL
);
CREATE INDEX webhook_endpoints_merchant ON webhook_endpoints (merchant_id, mode, status);

CREATE TABLE deliveries (
    seq              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id         TEXT NOT NULL REFERENCES events(id),
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints(id),
    status           TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         BIGINT NOT NULL,
    next_attempt_at  BIGINT,
    created_at       BIGINT NOT NULL,
    delivered_at     BIGINT,
    UNIQUE (event_id, endpoint_id)
);
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL;

CREATE TABLE delivery_attempts (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_seq      BIGINT NOT NULL REFERENCES deliveries(seq),
    event_id          TEXT NOT NULL,
    endpoint_id       TEXT NOT NULL,
    at                BIGINT NOT NULL,
    status_code       BIGINT,
    latency_ms        BIGINT NOT NULL,
    error             TEXT,
    response_excerpt  TEXT
);
CREATE INDEX delivery_attempts_event ON delivery_attempts (event_id, seq);
