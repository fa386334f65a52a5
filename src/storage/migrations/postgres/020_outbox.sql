-- Keeping everyone informed (issue 13): the outbox (STYLE P10). A state change that others must hear of writes
-- an event row in the same transaction (nothing is lost on a crash, nothing is sent for a change that rolled
-- back). A worker fans each event out into messages (one per subscribed webhook endpoint, one per receipt by
-- email or SMS) in one transaction, and workers deliver messages, claiming rows with the store's one claim
-- mechanism (claimed_by/claimed_until, as the reconciler's rows), recording every attempt.
CREATE TABLE outbox_events (
    id              BIGSERIAL PRIMARY KEY,
    agency_id       BIGINT REFERENCES agencies (id),  -- NULL: install-wide (a system alert of no agency)
    type            TEXT NOT NULL,                     -- payment.succeeded, c2b.received, system.alert, ...
    subject_kind    TEXT NOT NULL,                     -- stk | transfer | c2b | review | alert
    subject_id      BIGINT NOT NULL,                  -- the transaction id (stk/transfer/c2b), review or alert id
    data            TEXT NOT NULL DEFAULT '{}',        -- JSON the event adds to its object (a review's reason ...)
    status          TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DONE')),  -- DONE: fanned out
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT,
    claimed_by      TEXT,
    claimed_until   TEXT,
    created_at      TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX outbox_events_due ON outbox_events (next_attempt_at, created_at) WHERE status = 'PENDING';
CREATE INDEX outbox_events_subject ON outbox_events (subject_kind, subject_id, id);

-- Where an agency wants its events: the secret is `whsec_` + base64 of 32 random bytes, stored sealed
-- (service/sealed). While a rotation is fresh the previous secret also signs, until previous_secret_until.
CREATE TABLE webhook_endpoints (
    id                    BIGSERIAL PRIMARY KEY,
    agency_id             BIGINT NOT NULL REFERENCES agencies (id),
    url                   TEXT NOT NULL,
    description           TEXT NOT NULL DEFAULT '',
    event_types           TEXT NOT NULL DEFAULT '[]',  -- JSON array of event types; [] = every type
    secret_sealed         TEXT NOT NULL,
    previous_secret_sealed TEXT,
    previous_secret_until TEXT,                        -- ISO-8601 UTC
    enabled               BIGINT NOT NULL DEFAULT 1,
    disabled_reason       TEXT,                        -- why the gateway disabled it (NULL when a person did)
    disabled_at           TEXT,
    consecutive_failures  BIGINT NOT NULL DEFAULT 0,  -- messages given up on or attempts failed in a row
    failing_since         TEXT,                        -- the first failure of the current run of failures
    deleted_at            TEXT,                        -- deleted endpoints keep their delivery history
    created_at            TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    updated_at            TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX webhook_endpoints_agency ON webhook_endpoints (agency_id, id);

-- One message to one destination. dedupe_key (event:channel:endpoint-or-recipient) makes a second fan-out of the
-- same event create nothing. subject_key ('stk:42') orders one object's messages to one destination: a message
-- is not sent while an older one of the same subject_key and destination is still PENDING.
CREATE TABLE outbox_messages (
    id              BIGSERIAL PRIMARY KEY,
    event_id        BIGINT NOT NULL REFERENCES outbox_events (id),
    agency_id       BIGINT REFERENCES agencies (id),
    channel         TEXT NOT NULL CHECK (channel IN ('webhook', 'email', 'sms')),
    endpoint_id     BIGINT REFERENCES webhook_endpoints (id),  -- webhook messages
    recipient       TEXT NOT NULL DEFAULT '',                   -- email address or MSISDN (email, sms)
    subject_key     TEXT NOT NULL,
    dedupe_key      TEXT NOT NULL UNIQUE,
    payload         TEXT NOT NULL,                              -- what is sent: the webhook body, or the rendered mail/SMS (JSON)
    status          TEXT NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED', 'CANCELLED')),
    attempts        BIGINT NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT,
    claimed_by      TEXT,
    claimed_until   TEXT,
    delivered_at    TEXT,
    created_at      TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
    updated_at      TEXT NOT NULL DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
);
CREATE INDEX outbox_messages_due ON outbox_messages (next_attempt_at, created_at) WHERE status = 'PENDING';
CREATE INDEX outbox_messages_event ON outbox_messages (event_id);
CREATE INDEX outbox_messages_endpoint ON outbox_messages (endpoint_id, id);
CREATE INDEX outbox_messages_order ON outbox_messages (subject_key, id) WHERE status = 'PENDING';

-- Every attempt to deliver a message, as the sender saw it.
CREATE TABLE outbox_attempts (
    id               BIGSERIAL PRIMARY KEY,
    message_id       BIGINT NOT NULL REFERENCES outbox_messages (id),
    attempted_at     TEXT NOT NULL,
    ok               BIGINT NOT NULL,
    status_code      BIGINT,                    -- HTTP or SMTP status, when there was one
    duration_ms      BIGINT NOT NULL DEFAULT 0,
    response_excerpt TEXT NOT NULL DEFAULT '',   -- at most 500 bytes of what the destination answered
    error            TEXT NOT NULL DEFAULT ''    -- connection refused, timeout, refused private address ...
);
CREATE INDEX outbox_attempts_message ON outbox_attempts (message_id, id);
