-- The index the claim of an ordered event type walks (ORDERED_EVENT_TYPES, docs/ORDERING.md):
-- pending events by type, then user, then id. It finds each user's oldest pending event (the
-- head of that user's queue) and the events after it, one user after another, in as many steps
-- as there are users with pending events, whatever their backlogs; events with no user are the
-- range of NULLs at the end of each type. Partial, like idx_events_claim: it holds the pending
-- queue only, and processed or failed rows leave it.
-- CONCURRENTLY, like migration 3: producers keep inserting while it builds; dropped first, so that
-- an interrupted build (an invalid index) is redone by running migrate again.
DROP INDEX CONCURRENTLY IF EXISTS idx_events_ordered;
CREATE INDEX CONCURRENTLY idx_events_ordered ON events (event_type, user_id, id) WHERE status = 'pending';
