-- The original description's fix for a high connection count ("kill idle connections"), as a preview: the
-- sessions it would end. The worker's pool closes its own idle connections after
-- DB_IDLE_TIMEOUT; a long-idle session here is usually another client.
SELECT pid, usename, application_name, client_addr, state_change
FROM pg_stat_activity
WHERE datname = current_database()
  AND state = 'idle'
  AND state_change < current_timestamp - interval '10 minutes'
ORDER BY state_change;

-- To end them, run:
-- SELECT pg_terminate_backend(pid) FROM pg_stat_activity
-- WHERE datname = current_database() AND state = 'idle'
--   AND state_change < current_timestamp - interval '10 minutes';
