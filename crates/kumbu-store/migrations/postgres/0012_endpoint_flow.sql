-- Per-endpoint flow control for webhooks: how many deliveries an endpoint may have in flight
-- (configured, and the adaptive limit every process shares), and which process holds how many
-- of those slots (permits, leased so a dead process's slots come back).

ALTER TABLE webhook_endpoints ADD COLUMN max_concurrency BIGINT;

CREATE TABLE endpoint_flow (
    endpoint_id    TEXT PRIMARY KEY REFERENCES webhook_endpoints(id),
    -- The adaptive limit (1..max_concurrency), its ceiling after an overload, and until when
    -- the ceiling holds.
    flow_limit     BIGINT NOT NULL,
    ceiling        BIGINT,
    ceiling_until  BIGINT,
    -- Whether the limit ever came down (growth is then one at a time, not doubling).
    congested      BIGINT NOT NULL DEFAULT 0,
    updated_at     BIGINT NOT NULL
);

CREATE TABLE endpoint_permits (
    endpoint_id  TEXT NOT NULL REFERENCES webhook_endpoints(id),
    holder       TEXT NOT NULL,
    permits      BIGINT NOT NULL,
    in_flight    BIGINT NOT NULL,
    wanted       BIGINT NOT NULL,
    until        BIGINT NOT NULL,
    PRIMARY KEY (endpoint_id, holder)
);

CREATE INDEX deliveries_endpoint_due ON deliveries (endpoint_id, next_attempt_at) WHERE next_attempt_at IS NOT NULL;
CREATE INDEX delivery_attempts_endpoint ON delivery_attempts (endpoint_id, seq);
