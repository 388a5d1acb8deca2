-- The API a payment came through (native, plexospay, adullam, simiz, kulpay, proxypay), and a
-- checkout session's, which its payments take: the dashboard's face filter. Earlier rows have
-- none (it was not kept). On a large table, build the index first by hand with CREATE INDEX
-- CONCURRENTLY (migrations run in a transaction and would hold payment writes while it builds).
ALTER TABLE payments ADD COLUMN face TEXT;
ALTER TABLE checkout_sessions ADD COLUMN face TEXT;
CREATE INDEX IF NOT EXISTS payments_by_face ON payments (merchant_id, mode, face, seq);
