-- Events by status and type, pending ones split into due and scheduled (run_at later), with how
-- long the oldest due one has waited since it fell due: what `event-worker status` prints.
-- Counting processed rows reads the whole table; on a very large one prefer the
-- eventworker_queue_depth and eventworker_queue_scheduled gauges, which read pending and failed
-- rows only.
SELECT event_type,
       count(*) FILTER (WHERE status = 'pending' AND run_at <= now()) AS due,
       count(*) FILTER (WHERE status = 'pending' AND run_at > now()) AS scheduled,
       count(*) FILTER (WHERE status = 'processed') AS processed,
       count(*) FILTER (WHERE status = 'failed') AS failed,
       date_trunc('second', now() - min(run_at) FILTER (WHERE status = 'pending' AND run_at <= now())) AS oldest_due_age
FROM events
GROUP BY event_type
ORDER BY due DESC, event_type;
