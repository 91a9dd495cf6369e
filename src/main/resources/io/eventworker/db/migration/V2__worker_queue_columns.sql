-- The worker's additions to the seed's events table. Producers keep inserting only
-- event_type, user_id and data; every new column has a default.
-- Written to be safe to run again by hand (IF NOT EXISTS, OR REPLACE), although Flyway runs it once.

ALTER TABLE events
    -- How many times a worker ran a handler on this event.
    ADD COLUMN IF NOT EXISTS attempts integer NOT NULL DEFAULT 0,
    -- Why the last attempt failed; kept for failed events and for retried ones.
    ADD COLUMN IF NOT EXISTS last_error text,
    -- When the event is next due: its insert time, then pushed back by each retry's backoff.
    ADD COLUMN IF NOT EXISTS run_at timestamptz NOT NULL DEFAULT now();

-- Wakes listening workers when events arrive. Statement-level, so a bulk insert or COPY sends
-- one notification rather than one per row; PostgreSQL also folds identical notifications of one
-- transaction into one.
CREATE OR REPLACE FUNCTION notify_events_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('events_inserted', '');
    RETURN NULL;
END;
$$;

DROP TRIGGER IF EXISTS events_notify_insert ON events;
CREATE TRIGGER events_notify_insert AFTER INSERT ON events
    FOR EACH STATEMENT EXECUTE FUNCTION notify_events_inserted();
