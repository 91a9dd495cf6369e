-- The original description's slow queries, for PostgreSQL 15: pg_stat_statements renamed total_time, mean_time
-- and stddev_time to total_exec_time, mean_exec_time and stddev_exec_time (in 13). Needs
-- shared_preload_libraries = 'pg_stat_statements' (deploy/postgres/postgresql.conf) and, once
-- per database, CREATE EXTENSION pg_stat_statements.
SELECT left(query, 120) AS query,
       calls,
       round(total_exec_time::numeric, 1) AS total_exec_ms,
       round(mean_exec_time::numeric, 2) AS mean_exec_ms,
       round(stddev_exec_time::numeric, 2) AS stddev_exec_ms,
       rows
FROM pg_stat_statements
WHERE mean_exec_time > 100
ORDER BY mean_exec_time DESC
LIMIT 10;
