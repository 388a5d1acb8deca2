-- The API a bank payment's report came through (none from a file): the payment record it
-- produces keeps it, whether matched at once or by a person later.
ALTER TABLE ingested_payments ADD COLUMN face TEXT;
