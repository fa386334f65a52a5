-- Transfer list indexes (PostgreSQL). The transactions list filters transfers by status, kind or phone within an
-- agency, newest first: one index per filter (as stk_transactions has), so a rare status no longer walks
-- every transfer of the agency.
CREATE INDEX transfers_agency_status ON transfers (agency_id, status, id);
CREATE INDEX transfers_agency_kind ON transfers (agency_id, kind, id);
CREATE INDEX transfers_agency_phone ON transfers (agency_id, phone_number, id);
