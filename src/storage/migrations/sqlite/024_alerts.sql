-- Alerts when money stops flowing (issue 13; workers/alerts). An alert is a needs-review item of an agency with
-- no transaction and no Daraja body, and each one is an episode: open while its condition holds, resolved when it
-- clears, and a later occurrence opens a new item. So "one open item per subject and reason" must count the agency
-- as part of the subject (two agencies can both have their callbacks missing). Transaction and body items already
-- name one agency each, so they keep exactly the guarantee they had.
DROP INDEX review_open_once;
CREATE UNIQUE INDEX review_open_once
    ON review_items (COALESCE(agency_id, 0), COALESCE(transaction_id, 0), COALESCE(inbound_id, 0), reason_code)
    WHERE status = 'open';
-- The newest alert of each agency and reason (the alerts worker, GET /api/v1/alerts).
CREATE INDEX review_agency_reason ON review_items (agency_id, reason_code, id);

-- An alert's system.alert event is written once (also when two gateway processes raise it at the same moment).
CREATE UNIQUE INDEX outbox_events_alert_once ON outbox_events (subject_id) WHERE type = 'system.alert';

-- "Did any callback arrive for this agency since ...?" and "which accepted pushes are recent?".
CREATE INDEX stk_events_kind_created ON stk_events (kind, created_at);
CREATE INDEX stk_accepted_created ON stk_transactions (created_at) WHERE checkout_request_id IS NOT NULL;
