-- Sessions and two-factor login (sqlite). Times are Unix milliseconds from the gateway's clock.
-- Refresh tokens: stored only as the SHA-256 (hex) of the token. Every rotation adds a row to the same family (the
-- chain begun by one login); a spent token presented again revokes the whole family.
CREATE TABLE refresh_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  TEXT NOT NULL UNIQUE,
    family_id   TEXT NOT NULL,
    user_id     INTEGER NOT NULL REFERENCES users (id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    spent_at    INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
-- TOTP (RFC 6238): one secret per user (base32), enabled once confirmed with a code. last_step is the newest time
-- step accepted, so one code cannot be used twice.
CREATE TABLE user_totp (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id),
    secret     TEXT NOT NULL,
    enabled    INTEGER NOT NULL DEFAULT 0,
    last_step  INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);
-- Recovery codes: SHA-256 (hex) of each, single use.
CREATE TABLE totp_recovery_codes (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id   INTEGER NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   INTEGER
);
CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes (user_id);
-- Agency security policy: admins must use two-factor login.
CREATE TABLE agency_security (
    agency_id                  INTEGER PRIMARY KEY REFERENCES agencies (id),
    require_admin_two_factor   INTEGER NOT NULL DEFAULT 0
);
