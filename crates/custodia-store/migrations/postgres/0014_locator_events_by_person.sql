-- The public locator (docs/oversight.md#locator) reads the `case.transition` events of the one or
-- few people a question found, for the date of their last change of status: an index by person
-- keeps that read from scanning the whole journal.
CREATE INDEX events_by_person ON events (person_id, kind);
