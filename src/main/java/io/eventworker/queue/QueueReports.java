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
  // pending and failed rows, however many processed ones there are.
  private static final String QUEUE_DEPTH =
      """
      SELECT 'pending' AS status, event_type, count(*) AS events,
             extract(epoch FROM LOCALTIMESTAMP - min(created_at))::float8 AS oldest_age
      FROM events WHERE status = 'pending' GROUP BY event_type
      UNION ALL
      SELECT 'failed', event_type, count(*), NULL
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

  /** Pending and failed events by type, with the age of the oldest, for the gauges and status. */
  public List<QueueDepth> queueDepth(Connection c) throws SQLException {
    List<QueueDepth> depth = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(QUEUE_DEPTH);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        double age = rs.getDouble(4);
        depth.add(
            new QueueDepth(
                rs.getString(1), rs.getString(2), rs.getLong(3), rs.wasNull() ? 0 : age));
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

  /** Events of one status and type, and how long the oldest has waited. */
  public record QueueDepth(String status, String eventType, long count, double oldestAgeSeconds) {}
}
