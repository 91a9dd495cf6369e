-- Events by status and type, with the age of the oldest pending one: what `event-worker status`
-- prints. Counting processed rows reads the whole table; on a very large one prefer the
-- eventworker_queue_depth gauges, which read pending and failed rows only.
SELECT event_type,
       count(*) FILTER (WHERE status = 'pending') AS pending,
       count(*) FILTER (WHERE status = 'processed') AS processed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       date_trunc('second', LOCALTIMESTAMP - min(created_at) FILTER (WHERE status = 'pending')) AS oldest_pending_age
FROM events
GROUP BY event_type
ORDER BY pending DESC, event_type;
