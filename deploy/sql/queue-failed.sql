-- Failed events grouped by their error, most frequent first, with the newest example of each.
SELECT left(last_error, 160) AS error,
       event_type,
       count(*) AS events,
       max(id) AS newest_event_id,
       max(processed_at) AS last_seen
FROM events
WHERE status = 'failed'
GROUP BY 1, 2
ORDER BY events DESC
LIMIT 20;
