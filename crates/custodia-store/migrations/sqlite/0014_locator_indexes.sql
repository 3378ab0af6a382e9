-- The public locator (docs/oversight.md#locator) reads only the candidates of a question, through
-- indexes the database keeps itself (nothing stored beside the journal, nothing to replay):
-- the people whose record, as their person event carries it, has a birth date in the asked year;
-- and the `case.transition` events of the few people found, for the date of their last change.
CREATE INDEX events_person_birth_year ON events (substr(body ->> '$.data.record.birth_date', 1, 4))
    WHERE kind IN ('person.registered', 'person.amended');
CREATE INDEX events_by_person ON events (person_id, kind);
