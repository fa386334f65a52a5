-- Audit entries carry an optional JSON detail (before/after of an edit) and can never be changed or removed:
-- the triggers refuse every UPDATE, DELETE and TRUNCATE of audit_log, whoever sends it.
ALTER TABLE audit_log ADD COLUMN detail TEXT;
CREATE INDEX audit_agency_target ON audit_log (agency_id, target, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Leases gain the tenant's email and can be ended: an ended lease keeps its history but takes no new payments.
-- end_date is the Nairobi day the tenancy ended; ended_at the instant it was recorded.
ALTER TABLE leases ADD COLUMN email TEXT;
ALTER TABLE leases ADD COLUMN end_date TEXT;
ALTER TABLE leases ADD COLUMN ended_at TEXT;
ALTER TABLE leases ADD COLUMN end_reason TEXT;
