-- The demo (issue 13): `serve --demo` seeds a demo agency with six months of history once. This row is the marker
-- that it did, and the instant the history runs up to: every later start rebuilds the same history from it (the
-- built-in simulator's ledger lives in memory and is seeded again) and writes nothing.
CREATE TABLE demo_seeds (
    agency_id     BIGINT PRIMARY KEY REFERENCES agencies (id),
    history_until TEXT NOT NULL,  -- ISO-8601 UTC: the "now" the history was generated for
    transactions  BIGINT NOT NULL, -- how many transactions it wrote (shown at start)
    created_at    TEXT NOT NULL
);
