-- The original description's cache hit ratio (should be above 0.90), for tables and for indexes. nullif avoids
-- a division by zero on a database that has read nothing yet.
SELECT 'tables' AS relations,
       round(sum(heap_blks_hit)::numeric / nullif(sum(heap_blks_hit) + sum(heap_blks_read), 0), 4) AS cache_hit_ratio
FROM pg_statio_user_tables
UNION ALL
SELECT 'indexes',
       round(sum(idx_blks_hit)::numeric / nullif(sum(idx_blks_hit) + sum(idx_blks_read), 0), 4)
FROM pg_statio_user_indexes;
