-- haven:foreign-keys-off
-- Rent by paybill (issue 12). A C2B confirmation is a transaction of its own kind (its id comes from
-- transaction_ids like every other kind); a payment of a lease comes from an STK transaction or a C2B
-- confirmation; every agency may have its own M-Pesa account; leases get a due day and a start date.
-- SQLite cannot change a CHECK or a REFERENCES in place, so transaction_ids and payments are rebuilt (SQLite's
-- documented procedure: foreign keys off for this migration, checked with foreign_key_check before it commits).

CREATE TABLE transaction_ids_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('stk', 'b2c', 'reversal', 'c2b')),
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
INSERT INTO transaction_ids_new (id, kind, created_at) SELECT id, kind, created_at FROM transaction_ids;
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'transaction_ids_new', seq FROM sqlite_sequence WHERE name = 'transaction_ids'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'transaction_ids_new');
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'transaction_ids'), 0))
    WHERE name = 'transaction_ids_new';
DROP TABLE transaction_ids;
ALTER TABLE transaction_ids_new RENAME TO transaction_ids;

-- One row per C2B payment, keyed by M-Pesa's TransID: a retried or duplicated confirmation changes nothing.
-- The payer's number never arrives in clear: v1 sends the SHA-256 hex of 2547XXXXXXXX, v2 a masked
-- "2547 ***** 149". lease_id is NULL while the payment is unmatched (the unmatched queue).
CREATE TABLE c2b_payments (
    id                  INTEGER PRIMARY KEY REFERENCES transaction_ids (id),
    agency_id           INTEGER NOT NULL REFERENCES agencies (id),
    trans_id            TEXT NOT NULL UNIQUE,
    transaction_type    TEXT NOT NULL,               -- Pay Bill | Buy Goods | as sent
    business_shortcode  TEXT NOT NULL,
    bill_ref_number     TEXT NOT NULL DEFAULT '',
    invoice_number      TEXT NOT NULL DEFAULT '',
    amount              INTEGER NOT NULL CHECK (amount > 0),
    msisdn              TEXT NOT NULL,               -- v1: SHA-256 hex; v2: masked
    payer_name          TEXT NOT NULL DEFAULT '',
    api_version         INTEGER NOT NULL CHECK (api_version IN (1, 2)),
    trans_time          TEXT NOT NULL,               -- as sent: yyyyMMddHHmmss, Nairobi time
    completed_at        TEXT NOT NULL,               -- the same instant, ISO-8601 UTC
    org_account_balance TEXT,
    third_party_trans_id TEXT,
    lease_id            INTEGER REFERENCES leases (id),
    matched_by          TEXT,                        -- reference | phone | staff | statement
    status              TEXT NOT NULL DEFAULT 'unmatched',  -- matched | unmatched | refunded
    refund_transfer_id  INTEGER REFERENCES transfers (id),
    origin              TEXT NOT NULL DEFAULT 'confirmation' CHECK (origin IN ('confirmation', 'statement')),
    inbound_id          INTEGER,
    created_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_at          TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX c2b_agency_id ON c2b_payments (agency_id, id);
CREATE INDEX c2b_agency_status ON c2b_payments (agency_id, status, id);
CREATE INDEX c2b_agency_completed ON c2b_payments (agency_id, completed_at);

-- A payment of a lease: from an STK transaction (source stk) or a C2B confirmation (source c2b).
CREATE TABLE payments_new (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id            INTEGER NOT NULL REFERENCES agencies (id),
    lease_id             INTEGER NOT NULL REFERENCES leases (id),
    transaction_id       INTEGER NOT NULL UNIQUE REFERENCES transaction_ids (id),  -- one payment per transaction
    source               TEXT NOT NULL DEFAULT 'stk' CHECK (source IN ('stk', 'c2b')),
    amount               INTEGER NOT NULL,
    mpesa_receipt_number TEXT,
    phone_number         TEXT NOT NULL,  -- stk: 2547XXXXXXXX; c2b: as the confirmation carried it (hash or masked)
    payer_name           TEXT NOT NULL DEFAULT '',
    paid_at              TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))  -- completion time, UTC
);
INSERT INTO payments_new (id, agency_id, lease_id, transaction_id, source, amount, mpesa_receipt_number, phone_number,
                          paid_at)
    SELECT id, agency_id, lease_id, transaction_id, 'stk', amount, mpesa_receipt_number, phone_number, paid_at
    FROM payments;
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'payments_new', seq FROM sqlite_sequence WHERE name = 'payments'
    AND NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'payments_new');
DROP TABLE payments;
ALTER TABLE payments_new RENAME TO payments;
CREATE INDEX payments_agency_lease ON payments (agency_id, lease_id, id);
CREATE UNIQUE INDEX payments_receipt_once ON payments (mpesa_receipt_number);
CREATE INDEX payments_agency_paid ON payments (agency_id, paid_at);

-- Leases: the day of the month rent is due (29-31 fall on a short month's last day), an optional start, and the
-- keys C2B matching looks up: the normalised account reference (core/account_ref) and the SHA-256 hex of the
-- tenant's number (v1 confirmations carry the payer's number hashed). Both are filled by the store.
ALTER TABLE leases ADD COLUMN due_day INTEGER NOT NULL DEFAULT 5 CHECK (due_day BETWEEN 1 AND 31);
ALTER TABLE leases ADD COLUMN start_date TEXT;
ALTER TABLE leases ADD COLUMN account_key TEXT;
ALTER TABLE leases ADD COLUMN phone_hash TEXT;
CREATE INDEX leases_account_key ON leases (agency_id, account_key);
CREATE INDEX leases_phone_hash ON leases (agency_id, phone_hash);

-- Each agency its own paybill or till. Secrets are sealed with the master key (libsodium secretbox):
-- base64(nonce || box), never stored in clear. A row without a shortcode keeps the global MPESA_* account and
-- only holds the agency's C2B settings.
CREATE TABLE mpesa_accounts (
    agency_id                INTEGER PRIMARY KEY REFERENCES agencies (id),
    shortcode                TEXT UNIQUE,
    till_number              TEXT UNIQUE,
    transaction_type         TEXT NOT NULL DEFAULT 'CustomerPayBillOnline',
    b2c_shortcode            TEXT,
    initiator_name           TEXT NOT NULL DEFAULT '',
    consumer_key_sealed      TEXT,
    consumer_secret_sealed   TEXT,
    passkey_sealed           TEXT,
    initiator_secret_sealed  TEXT,  -- the initiator password or a ready-made SecurityCredential
    initiator_secret_kind    TEXT NOT NULL DEFAULT 'password' CHECK (initiator_secret_kind IN ('password', 'credential')),
    c2b_version              INTEGER NOT NULL DEFAULT 2 CHECK (c2b_version IN (1, 2)),
    c2b_response_type        TEXT NOT NULL DEFAULT 'Completed' CHECK (c2b_response_type IN ('Completed', 'Cancelled')),
    c2b_validation           INTEGER NOT NULL DEFAULT 0,  -- answer validation requests from the lease table
    c2b_reject_unknown       INTEGER NOT NULL DEFAULT 0,  -- validation rejects an unknown account number
    c2b_registered_at        TEXT,
    c2b_registered_urls      TEXT,  -- JSON {"confirmation":..., "validation":...} as last registered
    updated_at               TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    updated_by               TEXT
);
