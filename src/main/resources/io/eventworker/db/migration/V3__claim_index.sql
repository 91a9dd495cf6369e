-- The index every claim walks: pending events of one type, in due order. Its cost does not grow
-- with the processed or failed rows that stay in the table, nor with pending events of types
-- this worker does not handle (another type's backlog is another range of the index).
-- Built CONCURRENTLY, so producers keep inserting while it builds on a large table; Flyway runs
-- this migration outside a transaction for that. Dropped first, so that a build interrupted
-- half-way (which leaves an invalid index behind) is redone by running migrate again.
DROP INDEX CONCURRENTLY IF EXISTS idx_events_claim;
CREATE INDEX CONCURRENTLY idx_events_claim ON events (event_type, run_at, id) WHERE status = 'pending';
