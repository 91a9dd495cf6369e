-- The longest-waiting pending events. attempts > 0 means a handler failed and the event waits
-- for run_at (its retry backoff); attempts = 0 with an old created_at means no worker claims it:
-- no worker running, or no handler for its event_type (see `event-worker status`).
SELECT id,
       event_type,
       user_id,
       date_trunc('second', LOCALTIMESTAMP - created_at) AS waiting,
       attempts,
       run_at AS next_attempt_at,
       left(last_error, 120) AS last_error
FROM events
WHERE status = 'pending'
ORDER BY created_at
LIMIT 20;
