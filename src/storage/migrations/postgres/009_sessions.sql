-- Sessions and two-factor login (postgres). Times are Unix milliseconds from the gateway's clock.
-- Refresh tokens: stored only as the SHA-256 (hex) of the token. Every rotation adds a row to the same family (the
-- chain begun by one login); a spent token presented again revokes the whole family.
CREATE TABLE refresh_tokens (
    id          BIGSERIAL PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    family_id   TEXT NOT NULL,
    user_id     BIGINT NOT NULL REFERENCES users (id),
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    spent_at    BIGINT,
    revoked_at  BIGINT
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
-- TOTP (RFC 6238): one secret per user (base32), enabled once confirmed with a code. last_step is the newest time
-- step accepted, so one code cannot be used twice.
CREATE TABLE user_totp (
    user_id    BIGINT PRIMARY KEY REFERENCES users (id),
    secret     TEXT NOT NULL,
    enabled    BIGINT NOT NULL DEFAULT 0,
    last_step  BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
-- Recovery codes: SHA-256 (hex) of each, single use.
CREATE TABLE totp_recovery_codes (
    id        BIGSERIAL PRIMARY KEY,
    user_id   BIGINT NOT NULL REFERENCES users (id),
    code_hash TEXT NOT NULL,
    used_at   BIGINT
);
CREATE INDEX totp_recovery_codes_user ON totp_recovery_codes (user_id);
-- Agency security policy: admins must use two-factor login.
CREATE TABLE agency_security (
    agency_id                  BIGINT PRIMARY KEY REFERENCES agencies (id),
    require_admin_two_factor   BIGINT NOT NULL DEFAULT 0
);
