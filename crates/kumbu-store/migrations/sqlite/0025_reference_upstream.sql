-- Live Multicaixa references issued at ProxyPay (issue 26). A reference remembers the API it
-- was made through (its payments keep it) and where it stands at the gateway: NULL (no
-- gateway: test mode, or no ProxyPay credentials), 'pending' (a change to send, retried from
-- upstream_due_at), 'synced', or 'refused' (the gateway said no: upstream_error says why).
ALTER TABLE bank_references ADD COLUMN face TEXT;
ALTER TABLE bank_references ADD COLUMN upstream TEXT CHECK (upstream IN ('pending', 'synced', 'refused'));
ALTER TABLE bank_references ADD COLUMN upstream_due_at BIGINT;
ALTER TABLE bank_references ADD COLUMN upstream_tries INTEGER NOT NULL DEFAULT 0;
ALTER TABLE bank_references ADD COLUMN upstream_error TEXT;
CREATE INDEX bank_references_upstream_due ON bank_references (upstream_due_at) WHERE upstream = 'pending';
-- When a merchant's gateway queue (ProxyPay's GET /payments) is next read; one process takes
-- each turn by moving it forward.
ALTER TABLE operator_credentials ADD COLUMN next_poll_at BIGINT;
