-- Two of the seed's indexes on events do more harm than good once the worker's own indexes exist:
--
-- idx_events_status indexes every row by a column of three values. It misleads the planner:
-- after a quiet spell the statistics say no row is pending, and the claim then scans and sorts
-- every pending row through it instead of walking idx_events_claim.
--
-- idx_events_type serves no query here: pending events by type are idx_events_claim (migration
-- 3), failed ones by type the small index below.
--
-- Both cost a write for every event inserted and for every status change (about 15% of a COPY
-- of events). database/init.sql still creates them, as the seed specifies; this migration is
-- where the worker removes them, and a database without the worker keeps them.
-- CONCURRENTLY, like migration 3: producers are not blocked; safe to run again.
DROP INDEX CONCURRENTLY IF EXISTS idx_events_status;
DROP INDEX CONCURRENTLY IF EXISTS idx_events_type;
DROP INDEX CONCURRENTLY IF EXISTS idx_events_failed;
CREATE INDEX CONCURRENTLY idx_events_failed ON events (event_type, id) WHERE status = 'failed';
