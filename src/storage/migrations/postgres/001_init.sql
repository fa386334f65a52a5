-- Haven M-Pesa initial schema (PostgreSQL). Times are ISO-8601 UTC text "YYYY-MM-DDTHH:MM:SSZ" as in SQLite,
-- so string comparison orders them and both backends return the same form. Money is whole shillings (BIGINT).
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);

CREATE TABLE agencies (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);

CREATE TABLE users (
    id            BIGSERIAL PRIMARY KEY,
    agency_id     BIGINT NOT NULL REFERENCES agencies (id),
    email         TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    created_at    TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
-- E-mail addresses are unique regardless of case.
CREATE UNIQUE INDEX users_email_unique ON users (lower(email));
CREATE INDEX users_agency ON users (agency_id);

CREATE TABLE leases (
    id                BIGSERIAL PRIMARY KEY,
    agency_id         BIGINT NOT NULL REFERENCES agencies (id),
    tenant_name       TEXT NOT NULL,
    phone_number      TEXT NOT NULL,
    unit              TEXT NOT NULL,
    monthly_rent      BIGINT NOT NULL CHECK (monthly_rent >= 0),
    account_reference TEXT NOT NULL,
    created_at        TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX leases_agency ON leases (agency_id, id);

CREATE TABLE stk_transactions (
    id                   BIGSERIAL PRIMARY KEY,
    agency_id            BIGINT NOT NULL REFERENCES agencies (id),
    lease_id             BIGINT REFERENCES leases (id),
    user_id              BIGINT REFERENCES users (id),
    phone_number         TEXT NOT NULL,
    amount               BIGINT NOT NULL CHECK (amount > 0),
    account_reference    TEXT NOT NULL,
    transaction_desc     TEXT NOT NULL,
    merchant_request_id  TEXT,
    checkout_request_id  TEXT UNIQUE,  -- NULL until Daraja answers
    status               TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
    result_code          BIGINT,
    result_desc          TEXT,
    mpesa_receipt_number TEXT,
    transaction_date     TEXT,
    created_at           TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    updated_at           TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX stk_agency_id ON stk_transactions (agency_id, id);
CREATE INDEX stk_agency_status ON stk_transactions (agency_id, status, id);
CREATE INDEX stk_agency_lease ON stk_transactions (agency_id, lease_id, id);
CREATE INDEX stk_agency_phone ON stk_transactions (agency_id, phone_number, id);
CREATE INDEX stk_agency_created ON stk_transactions (agency_id, created_at);
CREATE INDEX stk_pending_created ON stk_transactions (status, created_at);

CREATE TABLE payments (
    id                   BIGSERIAL PRIMARY KEY,
    agency_id            BIGINT NOT NULL REFERENCES agencies (id),
    lease_id             BIGINT NOT NULL REFERENCES leases (id),
    transaction_id       BIGINT NOT NULL UNIQUE REFERENCES stk_transactions (id),  -- one payment per transaction
    amount               BIGINT NOT NULL,
    mpesa_receipt_number TEXT,
    phone_number         TEXT NOT NULL,
    paid_at              TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX payments_agency_lease ON payments (agency_id, lease_id, id);

CREATE TABLE stk_events (
    id             BIGSERIAL PRIMARY KEY,
    transaction_id BIGINT NOT NULL REFERENCES stk_transactions (id),
    kind           TEXT NOT NULL,
    payload        TEXT NOT NULL,
    created_at     TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX stk_events_tx ON stk_events (transaction_id, id);

CREATE TABLE unmatched_callbacks (
    id          BIGSERIAL PRIMARY KEY,
    kind        TEXT NOT NULL,
    reference   TEXT NOT NULL,
    payload     TEXT NOT NULL,
    received_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX unmatched_reference ON unmatched_callbacks (reference);

CREATE TABLE idempotency_keys (
    agency_id    BIGINT NOT NULL,
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,  -- NULL while the first request is in progress
    body         TEXT,
    created_at   TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    PRIMARY KEY (agency_id, scope, key)
);

CREATE TABLE audit_log (
    id            BIGSERIAL PRIMARY KEY,
    agency_id     BIGINT,
    actor_user_id BIGINT,
    actor         TEXT NOT NULL,
    action        TEXT NOT NULL,
    target        TEXT NOT NULL,
    request_id    TEXT NOT NULL,
    outcome       TEXT NOT NULL,
    at            TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX audit_action ON audit_log (action, id);
CREATE INDEX audit_agency ON audit_log (agency_id, id);
