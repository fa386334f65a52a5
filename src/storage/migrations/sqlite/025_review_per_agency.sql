-- Needs-review items that name no transaction and no Daraja body (a webhook endpoint the gateway disabled, an
-- alert) are one per agency and reason, not one per install: the open-once index includes the agency.
DROP INDEX IF EXISTS review_open_once;
CREATE UNIQUE INDEX review_open_once ON review_items (COALESCE(agency_id, 0), COALESCE(transaction_id, 0),
    COALESCE(inbound_id, 0), reason_code) WHERE status = 'open';
