-- Personal data under Kenya's Data Protection Act: raw Daraja bodies (they carry payers' numbers and names) are
-- kept for RAW_BODY_RETENTION_DAYS, then their body is removed; body_removed_at says when (NULL: still held).
-- Erasure of a phone number removes the body of every message about that number's transactions at once.
ALTER TABLE inbound_messages ADD COLUMN body_removed_at TEXT;
CREATE INDEX inbound_retention ON inbound_messages (received_at, id) WHERE body_removed_at IS NULL;
