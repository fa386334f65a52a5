-- Two people for big money moves (maker-checker). An agency's approval threshold (KES; a payout or reversal
-- above it waits for a second admin; NULL or 0 = off), its daily payout limit (KES per Nairobi day across B2C
-- payouts; NULL = off) and how long a request waits before it expires (seconds; the API speaks minutes).
ALTER TABLE agencies ADD COLUMN approval_threshold INTEGER;
ALTER TABLE agencies ADD COLUMN daily_payout_limit INTEGER;
ALTER TABLE agencies ADD COLUMN approval_expiry_seconds INTEGER NOT NULL DEFAULT 86400;

-- A payout or reversal request held until a second admin approves it: nothing reaches Daraja before that.
-- request is the validated request (JSON text) the approval replays through the ordinary use case.
-- status moves pending -> approved | rejected | expired once (a guarded UPDATE; one caller wins).
CREATE TABLE approvals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id       INTEGER NOT NULL REFERENCES agencies (id),
    kind            TEXT NOT NULL CHECK (kind IN ('b2c', 'reversal')),
    maker_user_id   INTEGER NOT NULL,
    maker_email     TEXT NOT NULL,
    amount          INTEGER NOT NULL,
    phone_number    TEXT NOT NULL,
    type            TEXT NOT NULL,
    request         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'expired')),
    checker_user_id INTEGER,
    checker_email   TEXT,
    reason          TEXT,
    transaction_id  INTEGER,
    outcome         TEXT,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    decided_at      TEXT
);
CREATE INDEX approvals_agency_status ON approvals (agency_id, status, id);
CREATE INDEX approvals_pending_expiry ON approvals (expires_at) WHERE status = 'pending';
