-- Users managed from the UI and API (sqlite): disabling, token cut-off, and one-time invite/reset links.
-- disabled_at: set while an admin has disabled the account (NULL = active); the guard refuses its tokens at once.
-- tokens_valid_after: Unix seconds; tokens issued (iat) before it are refused (set on disable, forced reset and a
-- password change). An empty password_hash means "no password" (a forced reset): no login until the link is used.
ALTER TABLE users ADD COLUMN disabled_at TEXT;
ALTER TABLE users ADD COLUMN tokens_valid_after INTEGER NOT NULL DEFAULT 0;
-- A one-time link: purpose 'invite' creates a user with email and role; 'reset' sets user_id's password.
-- Only the SHA-256 (hex) of the token is kept; the token itself is shown once to the admin.
CREATE TABLE user_invites (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    agency_id          INTEGER NOT NULL REFERENCES agencies (id),
    purpose            TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    email              TEXT NOT NULL,
    role               TEXT NOT NULL CHECK (role IN ('admin', 'manager', 'viewer')),
    user_id            INTEGER REFERENCES users (id),
    token_hash         TEXT NOT NULL UNIQUE,
    created_by_user_id INTEGER REFERENCES users (id),
    created_at         TEXT NOT NULL,
    expires_at         TEXT NOT NULL,
    used_at            TEXT,
    revoked_at         TEXT
);
CREATE INDEX user_invites_agency ON user_invites (agency_id, id);
