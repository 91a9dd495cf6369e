package io.eventworker.chaos;

import io.eventworker.testing.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * Every {@link Traffic} event in one server's database, by its number: how many copies, its status,
 * when it was finished and how many handler rows it has. Read in one statement (one snapshot), so
 * that the histories of the old and the new primary can be compared event by event after a
 * failover.
 */
final class EventHistory {

  /** One event's state on one server; {@code finishedAt} is the finishing transaction's time. */
  record State(
      int copies, String status, boolean hasError, String finishedAt, int attempts, long rows) {

    boolean finished() {
      return "processed".equals(status) || "failed".equals(status);
    }

    /** Finished as its number says: a valid event processed with its one row, an invalid failed. */
    boolean finishedCorrectly(int seq) {
      boolean valid = seq % Traffic.INVALID_EVERY != 0;
      return valid
          ? "processed".equals(status) && rows == 1
          : "failed".equals(status) && hasError && rows == 0;
    }
  }

  private static final String READ =
      """
      WITH ev AS (
        SELECT (data->>'seq')::int AS seq, count(*) AS copies, min(status) AS status,
               bool_and(coalesce(last_error, '') <> '') AS has_error,
               max(processed_at)::text AS finished_at, max(attempts) AS attempts
        FROM events GROUP BY 1),
      r AS (
        SELECT key AS k, count(*) AS n FROM data_entries GROUP BY key
        UNION ALL
        SELECT metric_name, count(*) FROM metrics GROUP BY metric_name)
      SELECT ev.*, coalesce(r.n, 0) AS rows,
             (SELECT coalesce(sum(n), 0) FROM r) AS all_rows
      FROM ev LEFT JOIN r ON r.k = CASE WHEN ev.seq % 2 = 1 THEN 'k-' ELSE 'm-' END || ev.seq
      """;

  final Map<Integer, State> bySeq = new HashMap<>();

  /** Handler rows that belong to no event of this database. */
  long strayRows;

  private EventHistory() {}

  static EventHistory read(PostgresCluster cluster, String database) throws SQLException {
    EventHistory h = new EventHistory();
    long allRows = 0;
    long ownRows = 0;
    try (Connection c = cluster.connect(database);
        Statement s = c.createStatement()) {
      s.execute("SET TIME ZONE 'UTC'");
      try (ResultSet rs = s.executeQuery(READ)) {
        while (rs.next()) {
          State state =
              new State(
                  rs.getInt("copies"),
                  rs.getString("status"),
                  rs.getBoolean("has_error"),
                  rs.getString("finished_at"),
                  rs.getInt("attempts"),
                  rs.getLong("rows"));
          h.bySeq.put(rs.getInt("seq"), state);
          ownRows += state.rows();
          allRows = rs.getLong("all_rows");
        }
      }
    }
    h.strayRows = allRows - ownRows;
    return h;
  }

  long count(java.util.function.Predicate<State> p) {
    return bySeq.values().stream().filter(p).count();
  }
}
