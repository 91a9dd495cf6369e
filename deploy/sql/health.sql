-- The original description's health check, then what a person checks next: version and uptime.
SELECT 1 AS health_check;
SELECT version() AS version,
       pg_postmaster_start_time() AS started_at,
       date_trunc('second', now() - pg_postmaster_start_time()) AS uptime,
       pg_is_in_recovery() AS standby;
