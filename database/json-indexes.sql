-- Opt-in: the original description's "GIN indexes for JSON queries", for the containment queries that
-- consumers and operators run on what the handlers write: metrics by tags
-- (tags @> '{"route": "/api"}') and data_entries by metadata (metadata @> '{"source": "..."}'),
-- and users by metadata. jsonb_path_ops serves @> (and the jsonpath operators @? and @@) with a
-- smaller, faster index than the default jsonb_ops, which only adds the key-exists operators
-- (?, ?|, ?&) that these queries do not use.
--
-- events.data gets none: events is the queue, and an index there would cost every producer's
-- insert and every status change the worker makes (its updates are never HOT, since status is in
-- the claim index's predicate).
--
-- Not a migration: they slow the worker's writes to these tables (docs/SCHEMA.md has the figures),
-- so a database gets them when its operator runs this file, once the worker's migrations are in:
--
--   psql -v ON_ERROR_STOP=1 -f database/json-indexes.sql      (not with -1 / --single-transaction)
--
-- Built CONCURRENTLY, as migration 3: the worker and producers go on writing while an index builds
-- on a large table. Each is dropped first, so that a build interrupted half-way (which leaves an
-- invalid index behind) is redone by running the file again. To remove them: DROP INDEX
-- CONCURRENTLY idx_metrics_tags, then idx_data_entries_metadata and idx_users_metadata.
DROP INDEX CONCURRENTLY IF EXISTS idx_metrics_tags;
CREATE INDEX CONCURRENTLY idx_metrics_tags ON metrics USING gin (tags jsonb_path_ops);
DROP INDEX CONCURRENTLY IF EXISTS idx_data_entries_metadata;
CREATE INDEX CONCURRENTLY idx_data_entries_metadata ON data_entries USING gin (metadata jsonb_path_ops);
DROP INDEX CONCURRENTLY IF EXISTS idx_users_metadata;
CREATE INDEX CONCURRENTLY idx_users_metadata ON users USING gin (metadata jsonb_path_ops);
