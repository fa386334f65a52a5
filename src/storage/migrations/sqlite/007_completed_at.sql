-- When a push or a transfer reached its final state (SUCCESS or FAILED): the seed's completedAt, and what
-- "completed today" asks about. Rows already final take their last update as the best evidence there is.
ALTER TABLE stk_transactions ADD COLUMN completed_at TEXT;
ALTER TABLE transfers ADD COLUMN completed_at TEXT;
UPDATE stk_transactions SET completed_at = updated_at WHERE status <> 'PENDING';
UPDATE transfers SET completed_at = updated_at WHERE status <> 'PENDING';
CREATE INDEX stk_transactions_completed ON stk_transactions (agency_id, completed_at);
CREATE INDEX transfers_completed ON transfers (agency_id, completed_at);
