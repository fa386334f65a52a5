-- B2C payouts/refunds, reversals, account balance checks and transaction status queries (SQLite).
-- Every transaction of any kind takes its id from transaction_ids, so /api/v1/mpesa/transactions/{id}
-- names one transaction whatever its kind.
CREATE TABLE transaction_ids (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('stk', 'b2c', 'reversal')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
INSERT INTO transaction_ids (id, kind, created_at) SELECT id, 'stk', created_at FROM stk_transactions;

CREATE TABLE transfers (
    id                         INTEGER PRIMARY KEY REFERENCES transaction_ids (id),
    agency_id                  INTEGER NOT NULL REFERENCES agencies (id),
    user_id                    INTEGER REFERENCES users (id),
    kind                       TEXT NOT NULL CHECK (kind IN ('b2c', 'reversal')),
    type                       TEXT NOT NULL,  -- refund | payout | salary | bonus | promotion | reversal
    command_id                 TEXT NOT NULL,
    phone_number               TEXT NOT NULL,
    amount                     INTEGER NOT NULL CHECK (amount > 0),
    remarks                    TEXT NOT NULL,
    occasion                   TEXT,
    reason                     TEXT,
    original_transaction_id    INTEGER REFERENCES stk_transactions (id),
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
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    transfer_id INTEGER NOT NULL REFERENCES transfers (id),
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX transfer_events_tx ON transfer_events (transfer_id, id);

CREATE TABLE balance_checks (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id                  INTEGER NOT NULL REFERENCES agencies (id),
    user_id                    INTEGER REFERENCES users (id),
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
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id                  INTEGER NOT NULL REFERENCES agencies (id),
    user_id                    INTEGER REFERENCES users (id),
    transaction_id             INTEGER,  -- the transaction (any kind) asked about
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
