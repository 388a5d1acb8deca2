-- The API a payment came through (native, plexospay, adullam, simiz, kulpay, proxypay), and a
-- checkout session's, which its payments take: the dashboard's face filter. Earlier rows have
-- none (it was not kept).
ALTER TABLE payments ADD COLUMN face TEXT;
ALTER TABLE checkout_sessions ADD COLUMN face TEXT;
CREATE INDEX payments_by_face ON payments (merchant_id, mode, face, seq);
