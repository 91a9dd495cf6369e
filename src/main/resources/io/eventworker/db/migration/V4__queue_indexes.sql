-- The seed's idx_events_status indexes every row by a column of three values. It costs an index
-- write for every event inserted and every status change, and it misleads the planner: after a
-- quiet spell, statistics say no row is pending, and the claim then scans and sorts every pending
-- row through it instead of walking idx_events_claim. Pending rows are covered by idx_events_claim
-- (migration 3), failed ones by the small index below (operators' queries and the queue gauges).
-- CONCURRENTLY, like migration 3: producers are not blocked; safe to run again.
DROP INDEX CONCURRENTLY IF EXISTS idx_events_status;
DROP INDEX CONCURRENTLY IF EXISTS idx_events_failed;
CREATE INDEX CONCURRENTLY idx_events_failed ON events (event_type, id) WHERE status = 'failed';
