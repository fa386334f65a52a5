-- API keys for server-to-server calls (Authorization: Bearer hmk_...). Only the key's SHA-256 (hex) is kept: a key
-- is 32 random bytes, so a fast hash is enough and every API call does not wait on the password-hash pool.
-- `prefix` is the start of the key, shown so people can tell their keys apart.
CREATE TABLE api_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id    INTEGER NOT NULL REFERENCES agencies (id),
    name         TEXT NOT NULL,
    role         TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    key_hash     TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash);
CREATE INDEX api_keys_agency ON api_keys (agency_id, id);

-- Haven's own id for an agency (a MongoDB ObjectId in Haven's backend): a Haven JWT's agency claim names it.
ALTER TABLE agencies ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX agencies_external_id ON agencies (external_id);
