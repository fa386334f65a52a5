-- The rent roll (issue 12) sums every lease's payments up to a month's end and the successful refunds and
-- reversals of them. Payments: grouped by lease in index order with the amount in the index (no table reads);
-- transfers: the agency's successful ones by completion time.
CREATE INDEX payments_agency_lease_paid ON payments (agency_id, lease_id, paid_at, amount);
CREATE INDEX transfers_agency_success_completed ON transfers (agency_id, status, completed_at);
