-- The original description's connection status for this database (it filtered on datname = 'mockdb').
SELECT pid,
       usename,
       application_name,
       client_addr,
       backend_start,
       state,
       left(query, 120) AS query
FROM pg_stat_activity
WHERE datname = current_database()
ORDER BY backend_start;

-- The whole server against max_connections (the high-connection-count alert fires at 80%).
SELECT coalesce(state, 'background') AS state,
       count(*) AS connections,
       round(100.0 * count(*) / current_setting('max_connections')::int, 1) AS pct_of_max
FROM pg_stat_activity
GROUP BY 1
ORDER BY 2 DESC;
