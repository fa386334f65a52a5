-- Audit entries carry an optional JSON detail (before/after of an edit) and can never be changed or removed:
-- the triggers refuse every UPDATE and DELETE of audit_log, whoever sends it.
ALTER TABLE audit_log ADD COLUMN detail TEXT;
CREATE INDEX audit_agency_target ON audit_log (agency_id, target, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;

-- Leases gain the tenant's email and can be ended: an ended lease keeps its history but takes no new payments.
-- end_date is the Nairobi day the tenancy ended; ended_at the instant it was recorded.
ALTER TABLE leases ADD COLUMN email TEXT;
ALTER TABLE leases ADD COLUMN end_date TEXT;
ALTER TABLE leases ADD COLUMN ended_at TEXT;
ALTER TABLE leases ADD COLUMN end_reason TEXT;
