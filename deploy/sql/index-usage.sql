-- The original description's index usage. In PostgreSQL 15 pg_stat_user_indexes names the table relname and
-- the index indexrelname.
SELECT schemaname,
       relname AS tablename,
       indexrelname AS indexname,
       idx_scan,
       idx_tup_read,
       idx_tup_fetch,
       pg_size_pretty(pg_relation_size(indexrelid)) AS index_size
FROM pg_stat_user_indexes
ORDER BY idx_scan DESC;

-- The original description's index-usage ratio per table; nullif keeps a never-scanned table from dividing by 0.
SELECT schemaname,
       relname AS tablename,
       round(100.0 * idx_scan / nullif(seq_scan + idx_scan, 0), 1) AS index_usage_ratio
FROM pg_stat_user_tables
WHERE seq_scan + idx_scan > 0
ORDER BY index_usage_ratio;
