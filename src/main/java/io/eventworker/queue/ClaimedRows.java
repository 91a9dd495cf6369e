package io.eventworker.queue;

import io.eventworker.queue.EventRepository.Claimed;
import io.eventworker.queue.EventRepository.Position;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns a claim's rows into events. The claim leaves out payloads that may be large; they are read
 * here in one more query, in claim order, as far as the batch's {@link PayloadBudget} has room: the
 * events from the first payload without room on stay pending, for a later batch.
 */
final class ClaimedRows {

  // What each of EventRepository's claims selects, before FROM: the locking query that
  // around() wraps.
  static final String COLUMNS =
      "SELECT id, event_type, user_id, data, created_at, attempts, run_at\n";

  // A claim's rows as read() reads them. A payload comes with them only if it is at most 8 kB as
  // text: at most 4 MB for a batch of 500. The others come as NULL, to be read by PAYLOADS
  // against the batch's budget: stored compressed or over 8 kB stored, or small when stored but
  // larger as text (control characters, numbers such as 1e1000), which only rendering tells.
  // Rendering happens once, above the locking (OFFSET 0), only for rows claimed; the rows keep the
  // claim's order, as neither subquery scan reorders.
  private static final String AROUND =
      """
      SELECT id, event_type, user_id, CASE WHEN octet_length(t) <= 8192 THEN t END,
             created_at::timestamptz, attempts, run_at
      FROM (SELECT id, event_type, user_id,
                   CASE WHEN pg_column_compression(data) IS NULL AND pg_column_size(data) <= 8192
                     THEN data::text END AS t,
                   created_at, attempts, run_at
            FROM (%s) AS claimed
            OFFSET 0) AS rendered
      """;

  // The payloads that the claim left out, as text with their lengths, walked in claim order: the
  // text only while the running total of those no longer than the largest stays within the room.
  // The walk stops after the first payload without room (it is rendered to learn its length, not
  // sent), so a burst of large payloads is not rendered again by every batch that passes over it.
  // Each payload is rendered once (OFFSET 0 keeps the subquery from being inlined).
  private static final String PAYLOADS =
      """
      WITH RECURSIVE given (ids, largest, room) AS (VALUES (?::int8[], ?::int8, ?::int8)),
      walk (ord, id, bytes, t, total) AS (
          SELECT 0, NULL::int8, NULL::int4, NULL::text, 0::int8
        UNION ALL
          SELECT w.ord + 1, r.id, r.bytes, r.t, w.total + CASE WHEN r.bytes <= g.largest THEN r.bytes ELSE 0 END
          FROM walk w CROSS JOIN given g
               CROSS JOIN LATERAL (
                 SELECT id, t, octet_length(t) AS bytes
                 FROM (SELECT e.id, e.data::text AS t FROM events e WHERE e.id = g.ids[w.ord + 1] OFFSET 0) AS rendered
               ) AS r
          WHERE w.ord < cardinality(g.ids) AND w.total <= g.room
      )
      SELECT w.id, w.bytes, CASE WHEN w.bytes <= g.largest AND w.total <= g.room THEN w.t END
      FROM walk w CROSS JOIN given g
      WHERE w.ord > 0
      """;

  private ClaimedRows() {}

  /**
   * The claim {@code locking}, a query that begins with {@link #COLUMNS}, as {@link #read} reads
   * it.
   */
  static String around(String locking) {
    // Each claim writes its columns out (no SQL constant is assembled); they must be these.
    if (!locking.strip().startsWith(COLUMNS.strip())) {
      throw new IllegalArgumentException(
          "a claim must begin with " + COLUMNS.strip() + ": " + locking);
    }
    return AROUND.formatted(locking.strip());
  }

  /** Reads the rows of {@code claim}, a query made by {@link #around}, as events. */
  static Claimed read(Connection c, PreparedStatement claim, int expected, PayloadBudget budget)
      throws SQLException {
    List<Row> rows = new ArrayList<>(expected);
    long began = System.nanoTime();
    try (ResultSet rs = claim.executeQuery()) {
      while (rs.next()) {
        int userId = rs.getInt(3);
        Integer nullableUserId = rs.wasNull() ? null : userId;
        OffsetDateTime created = rs.getObject(5, OffsetDateTime.class);
        rows.add(
            new Row(
                rs.getLong(1),
                rs.getString(2),
                nullableUserId,
                rs.getBytes(4),
                created == null ? null : created.toInstant(),
                rs.getInt(6),
                rs.getObject(7, OffsetDateTime.class)));
      }
    }
    long lockingNanos = System.nanoTime() - began;
    Map<Long, Payload> large = readLarge(c, rows, budget);
    List<ClaimedEvent> events = new ArrayList<>(rows.size());
    Position last = null;
    for (Row row : rows) {
      Payload payload = large.get(row.id());
      ClaimedEvent event =
          row.json() != null
              ? row.event(row.json())
              : payload == null ? null : payload.event(row, budget);
      if (event == null) {
        // No room left: this event and the rest stay pending, for a later batch.
        budget.refuse();
        break;
      }
      events.add(event);
      last = new Position(row.runAt(), row.id());
    }
    return new Claimed(events, last, lockingNanos);
  }

  /**
   * The payloads the claim left out, by event id, as far as the walk went: one more round trip,
   * only when there are any.
   */
  private static Map<Long, Payload> readLarge(Connection c, List<Row> rows, PayloadBudget budget)
      throws SQLException {
    List<Long> ids = rows.stream().filter(r -> r.json() == null).map(Row::id).toList();
    if (ids.isEmpty()) {
      return Map.of();
    }
    Map<Long, Payload> payloads = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(PAYLOADS)) {
      ps.setArray(1, c.createArrayOf("int8", ids.toArray()));
      ps.setLong(2, budget.limit());
      ps.setLong(3, budget.room());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          payloads.put(rs.getLong(1), new Payload(rs.getLong(2), rs.getBytes(3)));
        }
      }
    } catch (SQLException e) {
      if (UnrenderablePayloadException.mayBeDueToPayload(e)) {
        throw new UnrenderablePayloadException(ids, e);
      }
      throw e;
    }
    return payloads;
  }

  /** A payload read apart: its length as JSON text, and the text if there was room for it. */
  private record Payload(long bytes, byte[] json) {
    /** The event; unreadable if larger than any batch may hold; null if there was no room. */
    ClaimedEvent event(Row row, PayloadBudget budget) {
      if (json != null) {
        budget.take(bytes);
        return row.event(json);
      }
      if (bytes > budget.limit()) {
        return ClaimedEvent.unreadable(
            row.id(),
            row.type(),
            row.userId(),
            row.createdAt(),
            row.attempts(),
            "payload is "
                + bytes
                + " bytes as JSON text, more than the "
                + budget.limit()
                + " a worker thread can hold (a sixteenth of the heap, shared by WORKER_THREADS)");
      }
      return null;
    }
  }

  /** A claimed row, its payload null when the claim left it out as large. */
  private record Row(
      long id,
      String type,
      Integer userId,
      byte[] json,
      Instant createdAt,
      int attempts,
      OffsetDateTime runAt) {
    ClaimedEvent event(byte[] payload) {
      return new ClaimedEvent(id, type, userId, payload, createdAt, attempts);
    }
  }
}
