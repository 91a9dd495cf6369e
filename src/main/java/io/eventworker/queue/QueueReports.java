package io.eventworker.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The queries that report on {@code events} (counts, queue depth, the table's health) for the
 * gauges and {@code status}: kept apart from {@link EventRepository}, which runs the worker's own
 * statements.
 */
public final class QueueReports {

  private static final String COUNT_BY_TYPE_AND_STATUS =
      """
      SELECT event_type, coalesce(status, 'null') AS status, count(*) AS events
      FROM events
      GROUP BY event_type, status
      ORDER BY event_type, status
      """;

  // Two scans of partial indexes (idx_events_claim, idx_events_failed): the cost follows the
  // pending and failed rows, however many processed ones there are. The pending side reads only
  // the claim index's columns (event_type, run_at), an index-only scan where the visibility map
  // allows. A type's oldest due event is its least run_at when that is not in the future, and its
  // age counts from then: how late it is, whether it was inserted, scheduled or retried.
  private static final String QUEUE_DEPTH =
      """
      SELECT 'pending' AS status, event_type, count(*) AS events,
             count(*) FILTER (WHERE run_at > now()) AS scheduled,
             CASE WHEN min(run_at) <= now()
                  THEN extract(epoch FROM now() - min(run_at))::float8 END AS oldest_due_age,
             extract(epoch FROM min(run_at) FILTER (WHERE run_at > now()) - now())::float8
                 AS next_due_in
      FROM events WHERE status = 'pending' GROUP BY event_type
      UNION ALL
      SELECT 'failed', event_type, count(*), 0, NULL, NULL
      FROM events WHERE status = 'failed' GROUP BY event_type
      """;

  // What decides the table's health: dead row versions waiting for vacuum, and the open
  // transaction that keeps vacuum from removing them (migration 5). Summed over the partitions
  // when events is partitioned (docs/PARTITIONING.md): the parent has no statistics of its own.
  private static final String TABLE_HEALTH =
      """
      SELECT coalesce(sum(n_live_tup), 0), coalesce(sum(n_dead_tup), 0),
             event_worker_oldest_transaction_age()
      FROM pg_stat_user_tables
      WHERE relid = 'events'::regclass
         OR relid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'events'::regclass)
      """;

  /** Event counts by type and status, for {@code status}. */
  public List<TypeStatusCount> countByTypeAndStatus(Connection c) throws SQLException {
    List<TypeStatusCount> counts = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(COUNT_BY_TYPE_AND_STATUS);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        counts.add(new TypeStatusCount(rs.getString(1), rs.getString(2), rs.getLong(3)));
      }
    }
    return counts;
  }

  /**
   * Pending and failed events by type: how many, how many of the pending are scheduled (not yet
   * due), how late the oldest due one is and when the next scheduled one falls due.
   */
  public List<QueueDepth> queueDepth(Connection c) throws SQLException {
    List<QueueDepth> depth = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(QUEUE_DEPTH);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        depth.add(
            new QueueDepth(
                rs.getString(1),
                rs.getString(2),
                rs.getLong(3),
                rs.getLong(4),
                rs.getObject(5, Double.class),
                rs.getObject(6, Double.class)));
      }
    }
    return depth;
  }

  /** Live and dead row versions of events, and the age of the oldest open transaction. */
  public TableHealth tableHealth(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(TABLE_HEALTH);
        ResultSet rs = ps.executeQuery()) {
      return rs.next()
          ? new TableHealth(rs.getLong(1), rs.getLong(2), rs.getDouble(3))
          : new TableHealth(0, 0, 0);
    }
  }

  /** One row of the {@code status} table. */
  public record TypeStatusCount(String eventType, String status, long count) {}

  /** The state of the events table that vacuum is responsible for. */
  public record TableHealth(long liveTuples, long deadTuples, double oldestTransactionAgeSeconds) {}

  /**
   * Events of one status and type. For pending ones: how many are scheduled (due later), how long
   * the oldest due one has waited since it fell due (null if none is due) and in how long the next
   * scheduled one falls due (null if none is scheduled).
   */
  public record QueueDepth(
      String status,
      String eventType,
      long count,
      long scheduled,
      Double oldestDueAgeSeconds,
      Double nextDueInSeconds) {

    /** Those of {@code a} and {@code b} (same status) together, under {@code type}. */
    public static QueueDepth merged(String type, QueueDepth a, QueueDepth b) {
      return new QueueDepth(
          a.status,
          type,
          a.count + b.count,
          a.scheduled + b.scheduled,
          larger(a.oldestDueAgeSeconds, b.oldestDueAgeSeconds),
          b.nextDueInSeconds == null
                  || (a.nextDueInSeconds != null && a.nextDueInSeconds < b.nextDueInSeconds)
              ? a.nextDueInSeconds
              : b.nextDueInSeconds);
    }

    private static Double larger(Double a, Double b) {
      return a == null ? b : b == null ? a : Double.valueOf(Math.max(a, b));
    }
  }
}
