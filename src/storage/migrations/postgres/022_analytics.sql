-- Analytics (issue 13): each series is a set of index range aggregates, one per Nairobi day or month, so a series
-- reads only the index entries of its own time span (never the table) and needs no sort.
-- Collections: an agency's payments of one source over a span of completion times, the amount in the index.
CREATE INDEX payments_agency_source_paid ON payments (agency_id, source, paid_at, amount);
-- STK pushes of an agency by status over a span of creation times, and the failed ones by result code.
CREATE INDEX stk_agency_status_created ON stk_transactions (agency_id, status, created_at);
CREATE INDEX stk_agency_status_code_created ON stk_transactions (agency_id, status, result_code, created_at);
-- B2C transfers and reversals over a span of creation times, grouped by kind, type and status (all in the index).
CREATE INDEX transfers_agency_created_type ON transfers (agency_id, created_at, kind, type, status, amount);
