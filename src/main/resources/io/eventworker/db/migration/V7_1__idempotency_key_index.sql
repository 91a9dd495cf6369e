-- The index behind INSERT ... ON CONFLICT (event_type, idempotency_key)
-- WHERE idempotency_key IS NOT NULL DO NOTHING. Partial: events without a key (most of them) add
-- no entry and cost no write here. Built CONCURRENTLY, so producers keep inserting while it
-- builds on a large table; Flyway runs this migration outside a transaction for that (see V3).
-- Dropped first, so that a build interrupted half-way (an invalid index) is redone by migrate.
DROP INDEX CONCURRENTLY IF EXISTS idx_events_idempotency_key;
CREATE UNIQUE INDEX CONCURRENTLY idx_events_idempotency_key
    ON events (event_type, idempotency_key) WHERE idempotency_key IS NOT NULL;
