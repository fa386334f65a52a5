-- Haven's own id for a lease (a MongoDB ObjectId in Haven's backend), so Haven can sync its leases and pay by
-- them. Unique within an agency; NULL for leases created without one.
ALTER TABLE leases ADD COLUMN external_id TEXT;
CREATE UNIQUE INDEX leases_agency_external ON leases (agency_id, external_id);
