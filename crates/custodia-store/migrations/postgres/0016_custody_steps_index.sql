-- The steps that enter or leave custody (docs/architecture: custody steps): the `case.transition`
-- events from or to `in_custody` or `return_scheduled` — admissions, moves, holds and lifts in
-- custody, returns, releases, deaths, removals. Stays (population over time, billing) and the
-- cells' override days are computed from these alone, so an agreement's overview reads one event
-- per admission and departure instead of every step of every case. An index the database keeps
-- itself: nothing stored beside the journal, nothing to replay.
CREATE INDEX events_custody_steps ON events (agreement_id, seq)
    WHERE kind = 'case.transition'
      AND (((body::json) #>> '{data,from}') IN ('in_custody', 'return_scheduled')
        OR ((body::json) #>> '{data,to}') IN ('in_custody', 'return_scheduled'));
