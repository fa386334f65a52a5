-- Rent by paybill (issue 12). A C2B confirmation is a transaction of its own kind (its id comes from
-- transaction_ids like every other kind); a payment of a lease comes from an STK transaction or a C2B
-- confirmation; every agency may have its own M-Pesa account; leases get a due day and a start date.

ALTER TABLE transaction_ids DROP CONSTRAINT transaction_ids_kind_check;
ALTER TABLE transaction_ids ADD CONSTRAINT transaction_ids_kind_check
    CHECK (kind IN ('stk', 'b2c', 'reversal', 'c2b'));

-- One row per C2B payment, keyed by M-Pesa's TransID: a retried or duplicated confirmation changes nothing.
-- The payer's number never arrives in clear: v1 sends the SHA-256 hex of 2547XXXXXXXX, v2 a masked
-- "2547 ***** 149". lease_id is NULL while the payment is unmatched (the unmatched queue).
CREATE TABLE c2b_payments (
    id                  BIGINT PRIMARY KEY REFERENCES transaction_ids (id),
    agency_id           BIGINT NOT NULL REFERENCES agencies (id),
    trans_id            TEXT NOT NULL UNIQUE,
    transaction_type    TEXT NOT NULL,
    business_shortcode  TEXT NOT NULL,
    bill_ref_number     TEXT NOT NULL DEFAULT '',
    invoice_number      TEXT NOT NULL DEFAULT '',
    amount              BIGINT NOT NULL CHECK (amount > 0),
    msisdn              TEXT NOT NULL,
    payer_name          TEXT NOT NULL DEFAULT '',
    api_version         INTEGER NOT NULL CHECK (api_version IN (1, 2)),
    trans_time          TEXT NOT NULL,
    completed_at        TEXT NOT NULL,
    org_account_balance TEXT,
    third_party_trans_id TEXT,
    lease_id            BIGINT REFERENCES leases (id),
    matched_by          TEXT,
    status              TEXT NOT NULL DEFAULT 'unmatched',
    refund_transfer_id  BIGINT REFERENCES transfers (id),
    origin              TEXT NOT NULL DEFAULT 'confirmation' CHECK (origin IN ('confirmation', 'statement')),
    inbound_id          BIGINT,
    created_at          TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    updated_at          TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX c2b_agency_id ON c2b_payments (agency_id, id);
CREATE INDEX c2b_agency_status ON c2b_payments (agency_id, status, id);
CREATE INDEX c2b_agency_completed ON c2b_payments (agency_id, completed_at);

-- A payment of a lease: from an STK transaction (source stk) or a C2B confirmation (source c2b).
ALTER TABLE payments DROP CONSTRAINT payments_transaction_id_fkey;
ALTER TABLE payments ADD CONSTRAINT payments_transaction_id_fkey
    FOREIGN KEY (transaction_id) REFERENCES transaction_ids (id);
ALTER TABLE payments ADD COLUMN source TEXT NOT NULL DEFAULT 'stk' CHECK (source IN ('stk', 'c2b'));
ALTER TABLE payments ADD COLUMN payer_name TEXT NOT NULL DEFAULT '';
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
    agency_id                BIGINT PRIMARY KEY REFERENCES agencies (id),
    shortcode                TEXT UNIQUE,
    till_number              TEXT UNIQUE,
    transaction_type         TEXT NOT NULL DEFAULT 'CustomerPayBillOnline',
    b2c_shortcode            TEXT,
    initiator_name           TEXT NOT NULL DEFAULT '',
    consumer_key_sealed      TEXT,
    consumer_secret_sealed   TEXT,
    passkey_sealed           TEXT,
    initiator_secret_sealed  TEXT,
    initiator_secret_kind    TEXT NOT NULL DEFAULT 'password' CHECK (initiator_secret_kind IN ('password', 'credential')),
    c2b_version              INTEGER NOT NULL DEFAULT 2 CHECK (c2b_version IN (1, 2)),
    c2b_response_type        TEXT NOT NULL DEFAULT 'Completed' CHECK (c2b_response_type IN ('Completed', 'Cancelled')),
    c2b_validation           BIGINT NOT NULL DEFAULT 0,
    c2b_reject_unknown       BIGINT NOT NULL DEFAULT 0,
    c2b_registered_at        TEXT,
    c2b_registered_urls      TEXT,
    updated_at               TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    updated_by               TEXT
);
