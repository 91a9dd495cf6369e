package io.eventworker.queue;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The console's reads of {@code events}. Each walks a partial index (idx_events_claim for pending
 * events, idx_events_failed for failed ones), so that its cost follows the pending and failed rows
 * and never the processed ones, however many millions there are. Payloads are read only when asked
 * for, and cut short.
 */
public final class ConsoleQueries {

  /** The longest payload or error text shown, in characters. */
  public static final int TEXT_LIMIT = 300;

  // Due and scheduled (run_at in the future) pending events by type, with how long the oldest
  // due one has been due and when the next scheduled one is: one scan of idx_events_claim.
  private static final String PENDING_BY_TYPE =
      """
      SELECT event_type,
             count(*) FILTER (WHERE run_at <= now()) AS due,
             count(*) FILTER (WHERE run_at > now()) AS scheduled,
             extract(epoch FROM now() - min(run_at) FILTER (WHERE run_at <= now()))::float8,
             extract(epoch FROM min(run_at) FILTER (WHERE run_at > now()) - now())::float8
      FROM events WHERE status = 'pending'
      GROUP BY event_type ORDER BY event_type
      """;

  private static final String FAILED_BY_TYPE =
      """
      SELECT event_type, count(*) FROM events WHERE status = 'failed'
      GROUP BY event_type ORDER BY event_type
      """;

  // The next scheduled events of all types: the first few of each type, each an ordered range of
  // idx_events_claim (type, run_at > now()), merged. One index over all types cannot be read in
  // run_at order, so this asks each type for its own.
  private static final String NEXT_SCHEDULED =
      """
      SELECT s.id, s.event_type, s.user_id, s.attempts,
             to_char(s.run_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
             extract(epoch FROM s.run_at - now())::float8,
             CASE WHEN ?::boolean THEN left(s.data::text, ?) END
      FROM unnest(?::text[]) AS t(event_type)
      CROSS JOIN LATERAL (
        SELECT e.id, e.event_type, e.user_id, e.attempts, e.run_at, e.data FROM events e
        WHERE e.status = 'pending' AND e.event_type = t.event_type AND e.run_at > now()
        ORDER BY e.run_at, e.id LIMIT ?) s
      ORDER BY s.run_at, s.id LIMIT ?
      """;

  // The latest failed events by id, the same way: a backward range of idx_events_failed per type.
  private static final String LATEST_FAILED =
      """
      SELECT f.id, f.event_type, f.user_id, f.attempts,
             to_char(f.processed_at::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS'),
             extract(epoch FROM LOCALTIMESTAMP - f.processed_at)::float8,
             left(f.last_error, ?),
             CASE WHEN ?::boolean THEN left(f.data::text, ?) END
      FROM unnest(?::text[]) AS t(event_type)
      CROSS JOIN LATERAL (
        SELECT e.id, e.event_type, e.user_id, e.attempts, e.processed_at, e.last_error, e.data
        FROM events e WHERE e.status = 'failed' AND e.event_type = t.event_type
        ORDER BY e.id DESC LIMIT ?) f
      ORDER BY f.id DESC LIMIT ?
      """;

  /** Pending events of one type: due now, scheduled later, and their times (null: none). */
  public record PendingCount(
      String eventType, long due, long scheduled, Double oldestDueSeconds, Double nextInSeconds) {}

  /** Failed events of one type. */
  public record FailedCount(String eventType, long failed) {}

  /**
   * One event listed by the console: {@code when} (UTC) is a scheduled event's run_at or the time a
   * failed one failed, {@code seconds} how far that is from now; {@code error} and {@code payload}
   * may be null.
   */
  public record ListedEvent(
      long id,
      String eventType,
      Integer userId,
      int attempts,
      String when,
      double seconds,
      String error,
      String payload) {}

  /** Pending events by type, due and scheduled. */
  public List<PendingCount> pendingByType(Connection c) throws SQLException {
    List<PendingCount> rows = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(PENDING_BY_TYPE);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(
            new PendingCount(
                rs.getString(1),
                rs.getLong(2),
                rs.getLong(3),
                rs.getObject(4, Double.class),
                rs.getObject(5, Double.class)));
      }
    }
    return rows;
  }

  /** Failed events by type. */
  public List<FailedCount> failedByType(Connection c) throws SQLException {
    List<FailedCount> rows = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(FAILED_BY_TYPE);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        rows.add(new FailedCount(rs.getString(1), rs.getLong(2)));
      }
    }
    return rows;
  }

  /** The {@code limit} scheduled events due next among {@code types}, soonest first. */
  public List<ListedEvent> nextScheduled(
      Connection c, List<String> types, int limit, boolean payloads) throws SQLException {
    if (types.isEmpty()) {
      return List.of();
    }
    try (PreparedStatement ps = c.prepareStatement(NEXT_SCHEDULED)) {
      Array typeArray = c.createArrayOf("text", types.toArray());
      ps.setBoolean(1, payloads);
      ps.setInt(2, TEXT_LIMIT);
      ps.setArray(3, typeArray);
      ps.setInt(4, limit);
      ps.setInt(5, limit);
      return listed(ps, false);
    }
  }

  /** The {@code limit} failed events of {@code types} with the highest ids, latest first. */
  public List<ListedEvent> latestFailed(
      Connection c, List<String> types, int limit, boolean payloads) throws SQLException {
    if (types.isEmpty()) {
      return List.of();
    }
    try (PreparedStatement ps = c.prepareStatement(LATEST_FAILED)) {
      Array typeArray = c.createArrayOf("text", types.toArray());
      ps.setInt(1, TEXT_LIMIT);
      ps.setBoolean(2, payloads);
      ps.setInt(3, TEXT_LIMIT);
      ps.setArray(4, typeArray);
      ps.setInt(5, limit);
      ps.setInt(6, limit);
      return listed(ps, true);
    }
  }

  private static List<ListedEvent> listed(PreparedStatement ps, boolean withError)
      throws SQLException {
    List<ListedEvent> rows = new ArrayList<>();
    try (ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        int column = 7;
        rows.add(
            new ListedEvent(
                rs.getLong(1),
                rs.getString(2),
                rs.getObject(3, Integer.class),
                rs.getInt(4),
                rs.getString(5),
                rs.getDouble(6),
                withError ? rs.getString(column++) : null,
                rs.getString(column)));
      }
    }
    return rows;
  }
}
