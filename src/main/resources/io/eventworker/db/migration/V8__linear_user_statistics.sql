-- get_user_statistics as the original description gives it (database/init.sql) joins every
-- data_entries row of the user with every events row of the user before it counts: a user with
-- 10,000 of each makes 100,000,000 joined rows, and COUNT(DISTINCT) sorts them. This body
-- computes the same three values from one aggregate per table, each over that user's rows only.
--
-- Why the results are the same: ids are primary keys, so COUNT(DISTINCT id) over the join is the
-- number of the user's rows in each table, 0 when there are none. GREATEST skips NULLs, so the
-- largest GREATEST(updated_at, created_at) over all pairs is GREATEST of the two maxima: NULL only
-- when every timestamp is NULL or missing. The aggregate runs over the users row, so a user id
-- that does not exist still gets one row of 0, 0, NULL, as before.
--
-- Same signature, language and volatility as the original; CREATE OR REPLACE keeps the function's
-- owner and its EXECUTE grants. Safe to run again.
CREATE OR REPLACE FUNCTION get_user_statistics(user_id_param INTEGER)
RETURNS TABLE (
    total_entries BIGINT,
    total_events BIGINT,
    last_activity TIMESTAMP
) AS $$
BEGIN
    RETURN QUERY
    SELECT
        coalesce(max(de.entries), 0),
        coalesce(max(e.events), 0),
        max(GREATEST(de.last_updated, e.last_created))
    FROM users u
    CROSS JOIN LATERAL (
        SELECT count(*) AS entries, max(d.updated_at) AS last_updated
        FROM data_entries d
        WHERE d.user_id = u.id
    ) de
    CROSS JOIN LATERAL (
        SELECT count(*) AS events, max(ev.created_at) AS last_created
        FROM events ev
        WHERE ev.user_id = u.id
    ) e
    WHERE u.id = user_id_param;
END;
$$ LANGUAGE plpgsql;
