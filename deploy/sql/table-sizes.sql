-- The original description's table sizes and table statistics in one view. pg_stat_user_tables names the table
-- relname in PostgreSQL 15 (the original description's query called it tablename).
SELECT s.schemaname,
       s.relname AS tablename,
       pg_size_pretty(pg_total_relation_size(s.relid)) AS total_size,
       pg_size_pretty(pg_relation_size(s.relid)) AS table_size,
       s.n_live_tup AS live_rows,
       s.n_dead_tup AS dead_rows,
       s.last_vacuum,
       s.last_autovacuum
FROM pg_stat_user_tables s
ORDER BY pg_total_relation_size(s.relid) DESC;
