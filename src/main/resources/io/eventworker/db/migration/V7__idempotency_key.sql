-- Deduplicated events: a producer may give an event an idempotency_key, and an event of the same
-- event_type with the same key is then stored once (the unique index is V7.1, built
-- CONCURRENTLY apart from this transaction). Nullable and without a default: adding it rewrites
-- nothing, and producers that do not know the column insert exactly as before.
ALTER TABLE events ADD COLUMN IF NOT EXISTS idempotency_key text;
