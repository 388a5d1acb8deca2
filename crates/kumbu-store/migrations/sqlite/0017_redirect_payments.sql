-- Payments the payer completes on the operator's own page (Orange Money Web Payment, Wave's
-- checkout; issue 24): the connector's memo of what it made there (Orange's order id, pay token,
-- page URL and a hash of its notification token; Wave's session id and launch URL), written with
-- the payment by the commit of the call that made it; and the opaque token of Kumbu's hand-over
-- URL (`/pay/go/{token}`), which the payer is given at once and which sends them on to the
-- operator's page when it is ready. Neither is ever shown in an API object.
ALTER TABLE payments ADD COLUMN rail_memo TEXT;
ALTER TABLE payments ADD COLUMN handover_token TEXT;
CREATE UNIQUE INDEX payments_handover_token ON payments (handover_token) WHERE handover_token IS NOT NULL;
