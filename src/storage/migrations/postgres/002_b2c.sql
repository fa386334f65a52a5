-- B2C payouts/refunds, reversals, account balance checks and transaction status queries (PostgreSQL).
-- Every transaction of any kind takes its id from transaction_ids, so /api/v1/mpesa/transactions/{id}
-- names one transaction whatever its kind.
CREATE TABLE transaction_ids (
    id         BIGSERIAL PRIMARY KEY,
    kind       TEXT NOT NULL CHECK (kind IN ('stk', 'b2c', 'reversal')),
    created_at TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
INSERT INTO transaction_ids (id, kind, created_at) SELECT id, 'stk', created_at FROM stk_transactions;
SELECT setval(pg_get_serial_sequence('transaction_ids', 'id'), COALESCE((SELECT MAX(id) FROM transaction_ids), 0) + 1,
              false);

CREATE TABLE transfers (
    id                         BIGINT PRIMARY KEY REFERENCES transaction_ids (id),
    agency_id                  BIGINT NOT NULL REFERENCES agencies (id),
    user_id                    BIGINT REFERENCES users (id),
    kind                       TEXT NOT NULL CHECK (kind IN ('b2c', 'reversal')),
    type                       TEXT NOT NULL,  -- refund | payout | salary | bonus | promotion | reversal
    command_id                 TEXT NOT NULL,
    phone_number               TEXT NOT NULL,
    amount                     BIGINT NOT NULL CHECK (amount > 0),
    remarks                    TEXT NOT NULL,
    occasion                   TEXT,
    reason                     TEXT,
    original_transaction_id    BIGINT REFERENCES stk_transactions (id),
    original_receipt           TEXT,
    originator_conversation_id TEXT UNIQUE,
    conversation_id            TEXT UNIQUE,
    status                     TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
    result_code                TEXT,
    result_desc                TEXT,
    mpesa_receipt_number       TEXT,
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
);
CREATE INDEX transfers_agency_id ON transfers (agency_id, id);
CREATE INDEX transfers_original ON transfers (original_transaction_id, kind, status);
CREATE INDEX transfers_pending_created ON transfers (status, created_at);

CREATE TABLE transfer_events (
    id          BIGSERIAL PRIMARY KEY,
    transfer_id BIGINT NOT NULL REFERENCES transfers (id),
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX transfer_events_tx ON transfer_events (transfer_id, id);

CREATE TABLE balance_checks (
    id                         BIGSERIAL PRIMARY KEY,
    agency_id                  BIGINT NOT NULL REFERENCES agencies (id),
    user_id                    BIGINT REFERENCES users (id),
    originator_conversation_id TEXT,
    conversation_id            TEXT UNIQUE,
    status                     TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
    result_code                TEXT,
    result_desc                TEXT,
    accounts                   TEXT,  -- JSON array of parsed accounts
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
);
CREATE INDEX balance_checks_agency ON balance_checks (agency_id, status, id);

CREATE TABLE status_queries (
    id                         BIGSERIAL PRIMARY KEY,
    agency_id                  BIGINT NOT NULL REFERENCES agencies (id),
    user_id                    BIGINT REFERENCES users (id),
    transaction_id             BIGINT,  -- the transaction (any kind) asked about
    receipt                    TEXT,
    originator_conversation_id TEXT,
    conversation_id            TEXT UNIQUE,
    status                     TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SUCCESS', 'FAILED')),
    result_code                TEXT,
    result_desc                TEXT,
    transaction_status         TEXT,  -- Completed | Reversed | ... from the Result
    created_at                 TEXT NOT NULL,
    updated_at                 TEXT NOT NULL
);
CREATE INDEX status_queries_agency ON status_queries (agency_id, id);
