-- events is a queue: every row is inserted, updated once or twice, and its old versions die. The
-- defaults vacuum a table when 20% of it is dead, which for a table of millions of processed rows
-- means hundreds of thousands of dead versions that every claim and index scan walks past. Vacuum
-- (and analyze, so that the planner knows a burst has arrived) after 1% instead, without pausing.
ALTER TABLE events SET (
    autovacuum_vacuum_scale_factor = 0.01,
    autovacuum_vacuum_threshold = 1000,
    autovacuum_vacuum_insert_scale_factor = 0.01,
    autovacuum_vacuum_insert_threshold = 10000,
    autovacuum_analyze_scale_factor = 0.01,
    autovacuum_analyze_threshold = 1000,
    autovacuum_vacuum_cost_delay = 0
);

-- How long the oldest open transaction of this database has been running: while it stays open,
-- vacuum cannot remove the dead versions of events. pg_stat_activity shows other sessions'
-- transactions only to privileged roles; this function (run with its owner's rights, the
-- migrator's) gives the worker's least-privileged role that one number, and nothing else.
CREATE OR REPLACE FUNCTION event_worker_oldest_transaction_age() RETURNS double precision
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog AS $$
    SELECT coalesce(max(extract(epoch FROM clock_timestamp() - xact_start)), 0)::float8
    FROM pg_stat_activity
    WHERE datname = current_database() AND xact_start IS NOT NULL AND pid <> pg_backend_pid()
$$;
