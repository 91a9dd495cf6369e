package io.eventworker.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The slower way of {@code enqueue --file}, taken from the first line with an idempotency key on:
 * lines are copied into a temporary table, then inserted into {@code events} with ON CONFLICT DO
 * NOTHING, which tells the lines it skipped.
 */
final class StagedEvents {

  private static final String CREATE =
      """
      CREATE TEMPORARY TABLE events_staged (
          line int4 NOT NULL,
          event_type varchar(100) NOT NULL,
          user_id int4,
          data jsonb NOT NULL,
          run_at timestamptz,
          idempotency_key text
      ) ON COMMIT DROP
      """;

  static final String COPY =
      """
      COPY events_staged (line, event_type, user_id, data, run_at, idempotency_key) FROM STDIN
      """;

  // Gives the planner the table's size before the join below.
  private static final String ANALYZE = "ANALYZE events_staged";

  // In file order, so that ids follow the lines and the first of a key's lines is the one
  // stored. A line is skipped if an earlier line has its key, or if no row with its key was
  // inserted: an event of its type had it already (committed, or committed by a concurrent
  // producer whose insert this one waited for). Joins, not NOT EXISTS: a subplan over the
  // inserted rows is hashed only while it fits in work_mem, and is rescanned per line beyond.
  private static final String INSERT =
      """
      WITH stored AS (
          INSERT INTO events (event_type, user_id, data, run_at, idempotency_key)
          SELECT event_type, user_id, data, coalesce(run_at, now()), idempotency_key
          FROM events_staged
          ORDER BY line
          ON CONFLICT DO NOTHING
          RETURNING event_type, idempotency_key
      ),
      first AS (
          SELECT event_type, idempotency_key, min(line) AS first_line
          FROM events_staged WHERE idempotency_key IS NOT NULL
          GROUP BY event_type, idempotency_key
      )
      SELECT s.line, s.event_type, s.idempotency_key,
             CASE WHEN s.line > f.first_line THEN f.first_line ELSE 0 END
      FROM events_staged s
      JOIN first f USING (event_type, idempotency_key)
      LEFT JOIN stored t USING (event_type, idempotency_key)
      WHERE s.line > f.first_line OR t.idempotency_key IS NULL
      ORDER BY s.line
      """;

  private StagedEvents() {}

  /** Creates the table, dropped at commit or rollback. */
  static void create(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(CREATE)) {
      ps.executeUpdate();
    }
  }

  /** Inserts the staged lines into events; returns those skipped, in file order. */
  static List<EventFileLoader.Skipped> insert(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(ANALYZE)) {
      ps.executeUpdate();
    }
    List<EventFileLoader.Skipped> skipped = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(INSERT);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        skipped.add(
            new EventFileLoader.Skipped(
                rs.getInt(1), rs.getString(2), rs.getString(3), rs.getInt(4)));
      }
    }
    return skipped;
  }
}
