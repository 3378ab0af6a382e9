-- Keyset paging of the lists (docs/http-api.md#paging): every list reads one page through an index
-- on its filter and its key, whatever the register's size.
CREATE INDEX cases_by_agreement ON cases (agreement_id, id);
CREATE INDEX cases_by_agreement_state ON cases (agreement_id, state, id);
CREATE INDEX incidents_by_agreement ON incidents (agreement_id, id);
CREATE INDEX inspections_by_agreement ON inspections (agreement_id, id);
CREATE INDEX contacts_by_agreement ON contacts (agreement_id, id);
CREATE INDEX care_records_by_agreement_id ON care_records (agreement_id, id);
CREATE INDEX invoices_by_agreement_id ON invoices (agreement_id, id);
