package io.eventworker.queue;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * The statements on {@code events} that operators and housekeeping run, beside the worker's own
 * ({@link EventRepository}): retrying failed events, pruning processed ones, failing events no
 * worker handles, and the most frequent errors. Callers own the transaction.
 */
public final class EventMaintenance {

  // Back to pending, attempts from zero, due now: the next failed events by id within (after,
  // upTo], matching every filter given (a null filter matches all). Walking the ids, a retry moves
  // each event once, though a running worker may fail it again before the next step; and the walk
  // ends. last_error stays, as the record of what went wrong.
  private static final String RETRY_FAILED =
      """
      WITH moved AS (
        UPDATE events SET status = 'pending', attempts = 0, run_at = now(), processed_at = NULL
        WHERE id IN (
          SELECT id FROM events
          WHERE status = 'failed' AND id > ? AND id <= ?
            AND (?::int8[] IS NULL OR id = ANY (?::int8[]))
            AND (?::text IS NULL OR event_type = ?::text)
            AND (?::timestamp IS NULL OR processed_at >= ?::timestamp)
          ORDER BY id
          LIMIT ?
          FOR UPDATE)
        RETURNING id
      )
      SELECT count(*), max(id) FROM moved
      """;

  private static final String LAST_ID = "SELECT coalesce(max(id), 0) FROM events";

  private static final String WAKE_WORKERS = "SELECT pg_notify(?, '')";

  private static final String NOW = "SELECT LOCALTIMESTAMP";

  // One step of pruning: the next rows by primary key after the last step, of which the processed
  // ones older than the cutoff are deleted. Walking the primary key needs no index on processed_at
  // (which every processed event would have to update); created_at tells where to stop.
  private static final String PRUNE_STEP =
      """
      WITH scanned AS (
        SELECT id, created_at FROM events WHERE id > ? ORDER BY id LIMIT ?
      ), deleted AS (
        DELETE FROM events e USING scanned s
        WHERE e.id = s.id AND e.status = 'processed' AND e.processed_at < ?::timestamp
        RETURNING e.id
      )
      SELECT (SELECT max(id) FROM scanned), (SELECT count(*) FROM deleted), (SELECT min(created_at) FROM scanned)
      """;

  private static final String TOP_ERRORS =
      """
      SELECT left(last_error, 200) AS error, count(*) AS events
      FROM events WHERE status = 'failed'
      GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT ?
      """;

  // The distinct types of pending events, one index probe each (a loose index scan of
  // idx_events_claim): cheap however many events are pending.
  private static final String PENDING_TYPES =
      """
      WITH RECURSIVE types AS (
        (SELECT event_type FROM events WHERE status = 'pending' ORDER BY event_type LIMIT 1)
        UNION ALL
        SELECT (SELECT e.event_type FROM events e
                WHERE e.status = 'pending' AND e.event_type > t.event_type
                ORDER BY e.event_type LIMIT 1)
        FROM types t WHERE t.event_type IS NOT NULL
      )
      SELECT event_type FROM types WHERE event_type IS NOT NULL
      """;

  // A batch of pending events of a type nobody handles, failed with the reason.
  private static final String FAIL_TYPE =
      """
      UPDATE events SET status = 'failed', last_error = ?, processed_at = CURRENT_TIMESTAMP
      WHERE id IN (
        SELECT id FROM events WHERE status = 'pending' AND event_type = ?
        ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED)
      """;

  /**
   * Moves the first {@code limit} failed events, by id, of those after {@code afterId} up to {@code
   * upToId} that match the filters (null: any) back to pending. {@code failedSince} is compared
   * with the time they failed (processed_at). The next step starts after the returned {@link
   * RetryStep#lastId}.
   */
  public RetryStep retryFailed(
      Connection c,
      List<Long> ids,
      String type,
      LocalDateTime failedSince,
      long afterId,
      long upToId,
      int limit)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(RETRY_FAILED)) {
      Array idArray = ids == null ? null : c.createArrayOf("int8", ids.toArray());
      ps.setLong(1, afterId);
      ps.setLong(2, upToId);
      ps.setArray(3, idArray);
      ps.setArray(4, idArray);
      ps.setString(5, type);
      ps.setString(6, type);
      ps.setObject(7, failedSince);
      ps.setObject(8, failedSince);
      ps.setInt(9, limit);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        int moved = rs.getInt(1);
        long last = rs.getLong(2);
        return new RetryStep(moved, moved == 0 ? upToId : last);
      }
    }
  }

  /** The highest event id so far (0 when there are none): where a retry stops walking. */
  public long lastEventId(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LAST_ID);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The database's clock, in the session's time zone: the one processed_at is written in. */
  public LocalDateTime now(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(NOW);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getObject(1, LocalDateTime.class);
    }
  }

  /** Wakes listening workers, as an insert would. */
  public void wakeWorkers(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(WAKE_WORKERS)) {
      ps.setString(1, EventRepository.CHANNEL);
      ps.executeQuery().close();
    }
  }

  /** One step of pruning after id {@code afterId}; see {@link PruneStep}. */
  public PruneStep pruneStep(Connection c, long afterId, int limit, LocalDateTime cutoff)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(PRUNE_STEP)) {
      ps.setLong(1, afterId);
      ps.setInt(2, limit);
      ps.setObject(3, cutoff);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long last = rs.getLong(1);
        boolean empty = rs.wasNull();
        LocalDateTime oldest = rs.getObject(3, LocalDateTime.class);
        return new PruneStep(empty ? -1 : last, rs.getInt(2), oldest);
      }
    }
  }

  /** The most frequent errors of failed events, with their counts. */
  public List<ErrorCount> topErrors(Connection c, int limit) throws SQLException {
    List<ErrorCount> errors = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(TOP_ERRORS)) {
      ps.setInt(1, limit);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          errors.add(new ErrorCount(rs.getString(1), rs.getLong(2)));
        }
      }
    }
    return errors;
  }

  /** The event types of pending events. */
  public List<String> pendingTypes(Connection c) throws SQLException {
    List<String> types = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(PENDING_TYPES);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        types.add(rs.getString(1));
      }
    }
    return types;
  }

  /**
   * Fails up to {@code limit} pending events of {@code type} with {@code error}; returns how many.
   */
  public int failPendingOfType(Connection c, String type, String error, int limit)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(FAIL_TYPE)) {
      ps.setString(1, EventRepository.printable(error));
      ps.setString(2, type);
      ps.setInt(3, limit);
      return ps.executeUpdate();
    }
  }

  /**
   * What one step of pruning did: the last id it looked at (-1: none left), how many it deleted,
   * and the oldest created_at among the rows it looked at.
   */
  public record PruneStep(long lastId, int deleted, LocalDateTime oldestCreatedAt) {}

  /** What one step of a retry did: how many events it moved, and the id it got to. */
  public record RetryStep(int moved, long lastId) {}

  /** A failure text and how many failed events carry it. */
  public record ErrorCount(String error, long count) {}
}
