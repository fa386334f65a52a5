-- Reconciliation against the M-Pesa statement (issue 12): one row per imported statement file (an agency imports
-- a file once: the same SHA-256 again answers the first import), and what comparing it with our records found.
CREATE TABLE reconciliation_imports (
    id            BIGSERIAL PRIMARY KEY,
    agency_id     BIGINT NOT NULL REFERENCES agencies (id),
    file_sha256   TEXT NOT NULL,
    file_name     TEXT NOT NULL DEFAULT '',
    period_from   TEXT,                            -- the earliest Completion Time of its rows, ISO-8601 UTC
    period_to     TEXT,                            -- the latest
    row_count     BIGINT NOT NULL DEFAULT 0,
    finding_count BIGINT NOT NULL DEFAULT 0,
    summary       TEXT NOT NULL DEFAULT '{}',      -- JSON: counts and totals by kind of row and of finding
    created_by    TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    UNIQUE (agency_id, file_sha256)
);
CREATE INDEX reconciliation_imports_agency ON reconciliation_imports (agency_id, id);

CREATE TABLE reconciliation_findings (
    id             BIGSERIAL PRIMARY KEY,
    import_id      BIGINT NOT NULL REFERENCES reconciliation_imports (id),
    agency_id      BIGINT NOT NULL REFERENCES agencies (id),
    receipt        TEXT NOT NULL,
    kind           TEXT NOT NULL CHECK (kind IN ('missing_in_ours', 'missing_in_statement', 'amount_mismatch',
                                                 'status_mismatch', 'settled_review')),
    line           BIGINT,                        -- the statement line; NULL when only our record has it
    statement      TEXT,                           -- the statement row's fields (JSON)
    transaction_id BIGINT,                        -- our transaction, when we have one
    detail         TEXT NOT NULL DEFAULT '',
    resolution     TEXT,                           -- what was done (recorded, settled); NULL while open
    resolved_by    TEXT,
    resolved_at    TEXT
);
CREATE INDEX reconciliation_findings_import ON reconciliation_findings (import_id, id);
