-- Haven M-Pesa initial schema (SQLite). Times are ISO-8601 UTC text "YYYY-MM-DDTHH:MM:SSZ", so string
-- comparison orders them. Money is whole shillings (INTEGER).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE agencies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id     INTEGER NOT NULL REFERENCES agencies (id),
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
-- E-mail addresses are unique regardless of case.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
CREATE INDEX users_agency ON users (agency_id);

CREATE TABLE leases (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id         INTEGER NOT NULL REFERENCES agencies (id),
    tenant_name       TEXT NOT NULL,
    phone_number      TEXT NOT NULL,
    unit              TEXT NOT NULL,
    monthly_rent      INTEGER NOT NULL CHECK (monthly_rent >= 0),
    account_reference TEXT NOT NULL,
    created_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX leases_agency ON leases (agency_id, id);

CREATE TABLE stk_transactions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id            INTEGER NOT NULL REFERENCES agencies (id),
    lease_id             INTEGER REFERENCES leases (id),
    user_id              INTEGER REFERENCES users (id),
    phone_number         TEXT NOT NULL,
    amount               INTEGER NOT NULL CHECK (amount > 0),
    account_reference    TEXT NOT NULL,
    transaction_desc     TEXT NOT NULL,
    merchant_request_id  TEXT,
    checkout_request_id  TEXT UNIQUE,  -- NULL until Daraja answers
    status               TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
    result_code          INTEGER,
    result_desc          TEXT,
    mpesa_receipt_number TEXT,
    transaction_date     TEXT,
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX stk_agency_id ON stk_transactions (agency_id, id);
CREATE INDEX stk_agency_status ON stk_transactions (agency_id, status, id);
CREATE INDEX stk_agency_lease ON stk_transactions (agency_id, lease_id, id);
CREATE INDEX stk_agency_phone ON stk_transactions (agency_id, phone_number, id);
CREATE INDEX stk_agency_created ON stk_transactions (agency_id, created_at);
CREATE INDEX stk_pending_created ON stk_transactions (status, created_at);

CREATE TABLE payments (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id            INTEGER NOT NULL REFERENCES agencies (id),
    lease_id             INTEGER NOT NULL REFERENCES leases (id),
    transaction_id       INTEGER NOT NULL UNIQUE REFERENCES stk_transactions (id),  -- one payment per transaction
    amount               INTEGER NOT NULL,
    mpesa_receipt_number TEXT,
    phone_number         TEXT NOT NULL,
    paid_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX payments_agency_lease ON payments (agency_id, lease_id, id);

CREATE TABLE stk_events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    transaction_id INTEGER NOT NULL REFERENCES stk_transactions (id),
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    created_at     TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX stk_events_tx ON stk_events (transaction_id, id);

CREATE TABLE unmatched_callbacks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX unmatched_reference ON unmatched_callbacks (reference);

CREATE TABLE idempotency_keys (
    agency_id    INTEGER NOT NULL,
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,  -- NULL while the first request is in progress
    body         TEXT,
    created_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    PRIMARY KEY (agency_id, scope, key)
);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id     INTEGER,
    actor_user_id INTEGER,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX audit_action ON audit_log (action, id);
CREATE INDEX audit_agency ON audit_log (agency_id, id);
