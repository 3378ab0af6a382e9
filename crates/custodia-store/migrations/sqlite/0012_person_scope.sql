-- Persons scoped by agreement (docs/access.md#persons-and-agreements): a person is in scope for a
-- user scoped to agreement A when the person was imported under A or has a case under A, and an
-- identifier recorded under another agreement is not shown. Both are projections of the journal:
-- `person_agreements` holds the `agreement_id` of every `person.registered`, `person.amended` and
-- `person.linked` event of the person; `person_identifiers.agreement_id` is the `agreement_id` of
-- the `case.transition` event whose `data.receiving_id` recorded the identifier.
CREATE TABLE person_agreements (
    person_id    INTEGER NOT NULL REFERENCES persons (id),
    agreement_id TEXT    NOT NULL REFERENCES agreements (id),
    PRIMARY KEY (person_id, agreement_id)
) STRICT;
CREATE INDEX person_agreements_by_agreement ON person_agreements (agreement_id, person_id);

INSERT INTO person_agreements (person_id, agreement_id)
    SELECT DISTINCT person_id, agreement_id FROM events
     WHERE kind IN ('person.registered', 'person.amended', 'person.linked')
       AND person_id IS NOT NULL AND agreement_id IS NOT NULL;

ALTER TABLE person_identifiers ADD COLUMN agreement_id TEXT REFERENCES agreements (id);
UPDATE person_identifiers SET agreement_id = (
    SELECT e.agreement_id FROM events e
     WHERE e.kind = 'case.transition' AND e.person_id = person_identifiers.person_id
       AND e.body ->> '$.data.receiving_id' = person_identifiers.value
     ORDER BY e.seq LIMIT 1);
