-- Per-merchant pricing (issue 27, part 4): a fee schedule per operator and direction that
-- replaces the catalogue's for this merchant, and for collections what a refund does with the
-- fee. A payment keeps the refund rule it was priced with (payments.refund_fee), and a payout its
-- fee (payouts.fee): changing a price never changes what was already charged.
CREATE TABLE merchant_prices (
    merchant_id  TEXT NOT NULL REFERENCES merchants(id),
    operator     TEXT NOT NULL,
    direction    TEXT NOT NULL CHECK (direction IN ('collect', 'payout')),
    percent_bps  BIGINT NOT NULL CHECK (percent_bps BETWEEN 0 AND 10000),
    fixed        BIGINT NOT NULL CHECK (fixed >= 0),
    fee_min      BIGINT NOT NULL CHECK (fee_min >= 0),
    fee_max      BIGINT CHECK (fee_max IS NULL OR fee_max >= fee_min),
    refund_fee   TEXT NOT NULL CHECK (refund_fee IN ('kept', 'returned')),
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (merchant_id, operator, direction)
);

ALTER TABLE payments ADD COLUMN refund_fee TEXT NOT NULL DEFAULT 'kept' CHECK (refund_fee IN ('kept', 'returned'));
ALTER TABLE payouts ADD COLUMN fee BIGINT NOT NULL DEFAULT 0 CHECK (fee >= 0);
