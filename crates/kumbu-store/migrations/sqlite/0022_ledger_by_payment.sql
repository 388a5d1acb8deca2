-- A payment's ledger postings, read for its page in the dashboard (its own journals and its
-- refunds'), without reading the whole ledger.
CREATE INDEX ledger_entries_payment ON ledger_entries (payment_id) WHERE payment_id IS NOT NULL;
