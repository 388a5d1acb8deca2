-- Operators' callbacks, recorded as they arrive (issue 24, item 0). A callback is only a reason
-- to ask the operator; it used to make its payment due by updating the payment's row, and so
-- waited (seconds, under load) on rows a worker held, past the operator's timeout. Now it is one
-- insert here, which waits on no one; each worker pass applies the recorded callbacks to the
-- payments, refunds and payouts they name, taking only rows nobody holds (SKIP LOCKED) and
-- leaving the others' callbacks for its next pass.
CREATE TABLE operator_pokes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    reference TEXT NOT NULL,
    at BIGINT NOT NULL
);
