-- Login throttling (PostgreSQL). The state lives in the database so every gateway node sharing it applies the same
-- limits. Times are Unix milliseconds from the gateway's clock (the delays start at 1 s, finer than the ISO-8601
-- seconds used elsewhere). The gateway prunes old rows.
-- Consecutive failed logins of one account (e-mail, lower-cased) from one client address; a success deletes the row.
CREATE TABLE login_failures (
    email           TEXT NOT NULL,
    address         TEXT NOT NULL,
    failures        BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL,
    PRIMARY KEY (email, address)
);
CREATE INDEX login_failures_last ON login_failures (last_failure_at);
-- Every failed login from a client address, whatever the account: the per-address ceiling counts them in a window.
CREATE TABLE login_address_failures (
    id      BIGSERIAL PRIMARY KEY,
    address TEXT NOT NULL,
    at      BIGINT NOT NULL
);
CREATE INDEX login_address_failures_address ON login_address_failures (address, at);
CREATE INDEX login_address_failures_at ON login_address_failures (at);
