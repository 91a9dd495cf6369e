-- The original description's lock monitoring: locks not granted. The worker claims with SKIP LOCKED and never
-- waits for a row lock, so a worker session here waits on something else (DDL, a long report).
SELECT l.locktype,
       l.database,
       l.relation::regclass AS relation,
       l.mode,
       l.granted,
       l.pid,
       a.application_name,
       pg_blocking_pids(l.pid) AS blocked_by,
       left(a.query, 120) AS query
FROM pg_locks l
LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE NOT l.granted;
