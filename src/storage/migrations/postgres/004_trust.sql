-- Trust under faults (PostgreSQL): what the reconciler needs to never starve, the needs-review model, every
-- inbound Daraja body kept raw, the amount M-Pesa actually took, one transaction per receipt, and
-- idempotency claims that expire.

-- Reconciler bookkeeping and the claim (lease) every background worker uses: a row is worked on by the
-- process named in claimed_by until claimed_until; a process that dies lets its claim run out.
ALTER TABLE stk_transactions ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE stk_transactions ADD COLUMN last_error TEXT;
ALTER TABLE stk_transactions ADD COLUMN next_attempt_at TEXT;
ALTER TABLE stk_transactions ADD COLUMN claimed_by TEXT;
ALTER TABLE stk_transactions ADD COLUMN claimed_until TEXT;
ALTER TABLE stk_transactions ADD COLUMN paid_amount BIGINT;
ALTER TABLE stk_transactions ADD COLUMN review_reason TEXT;  -- the open review item's reason (NULL: none)
CREATE INDEX stk_due ON stk_transactions (next_attempt_at, created_at) WHERE status = 'PENDING';

ALTER TABLE transfers ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE transfers ADD COLUMN last_error TEXT;
ALTER TABLE transfers ADD COLUMN next_attempt_at TEXT;
ALTER TABLE transfers ADD COLUMN claimed_by TEXT;
ALTER TABLE transfers ADD COLUMN claimed_until TEXT;
ALTER TABLE transfers ADD COLUMN review_reason TEXT;
CREATE INDEX transfers_due ON transfers (next_attempt_at, created_at) WHERE status = 'PENDING';

-- Everything a person must look at, with its reason and, once handled, what was done.
CREATE TABLE review_items (
    id             BIGSERIAL PRIMARY KEY,
    agency_id      BIGINT REFERENCES agencies (id),  -- NULL: not tied to an agency (a callback for an unknown id)
    transaction_id BIGINT,                            -- any kind (transaction_ids)
    inbound_id     BIGINT,                            -- the Daraja body concerned (inbound_messages)
    reason_code    TEXT NOT NULL,
    reason         TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    resolution     TEXT,
    resolved_by    TEXT,
    created_at     TEXT NOT NULL,
    resolved_at    TEXT
);
-- One open item per subject and reason: opening it again is a no-op.
CREATE UNIQUE INDEX review_open_once ON review_items (COALESCE(transaction_id, 0), COALESCE(inbound_id, 0), reason_code)
    WHERE status = 'open';
CREATE INDEX review_agency ON review_items (agency_id, status, id);

-- Every body Daraja posts (callbacks, results, timeouts), stored as received before it is applied.
CREATE TABLE inbound_messages (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,  -- "callback.stk", "result.b2c", "timeout.b2c", ...
    body        TEXT NOT NULL,
    outcome     TEXT,           -- NULL until handled: applied | duplicate | unmatched | rejected: <why>
    received_at TEXT NOT NULL
);

-- A receipt settles at most one transaction. Receipts already used twice (before this rule) keep the
-- first transaction; the later ones lose the receipt and are put up for review.
INSERT INTO review_items (agency_id, transaction_id, reason_code, reason, created_at)
SELECT t.agency_id, t.id, 'receipt_conflict',
       'receipt ' || t.mpesa_receipt_number || ' was also recorded on an earlier transaction',
       to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
FROM stk_transactions t
WHERE t.mpesa_receipt_number IS NOT NULL AND EXISTS (
    SELECT 1 FROM stk_transactions o WHERE o.mpesa_receipt_number = t.mpesa_receipt_number AND o.id < t.id);
UPDATE stk_transactions SET mpesa_receipt_number = NULL,
       review_reason = 'receipt was also recorded on an earlier transaction'
WHERE mpesa_receipt_number IS NOT NULL AND EXISTS (
    SELECT 1 FROM stk_transactions o WHERE o.mpesa_receipt_number = stk_transactions.mpesa_receipt_number
    AND o.id < stk_transactions.id);
UPDATE payments SET mpesa_receipt_number = NULL WHERE mpesa_receipt_number IS NOT NULL AND EXISTS (
    SELECT 1 FROM payments o WHERE o.mpesa_receipt_number = payments.mpesa_receipt_number AND o.id < payments.id);
CREATE UNIQUE INDEX stk_receipt_once ON stk_transactions (mpesa_receipt_number);
CREATE UNIQUE INDEX payments_receipt_once ON payments (mpesa_receipt_number);
CREATE UNIQUE INDEX transfers_receipt_once ON transfers (mpesa_receipt_number);

-- An idempotency claim runs out if its request never finished; the transaction it created answers retries.
ALTER TABLE idempotency_keys ADD COLUMN claimed_until TEXT;
ALTER TABLE idempotency_keys ADD COLUMN transaction_id BIGINT;
CREATE INDEX idempotency_created ON idempotency_keys (created_at);
