package io.eventworker.queue;

import io.eventworker.handler.Event;
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
 * here in one more query, in claim order, as far as the batch's {@link PayloadBudget} has room:
 * the events from the first payload without room on stay pending, for a later batch.
 */
final class ClaimedRows {

  // What each of EventRepository's claims selects, as read() reads it. A payload that may be large
  // (stored compressed, or over 64 kB stored) comes as NULL, to be read by PAYLOADS.
  static final String SELECT =
      """
      SELECT id, event_type, user_id,
             CASE WHEN pg_column_compression(data) IS NULL AND pg_column_size(data) <= 65536 THEN data END,
             created_at::timestamptz, attempts, run_at
      """;

  // The payloads that the claim left out, as text, in claim order, with their lengths; the text
  // only while the running total of those no longer than the limit (the first parameter) stays
  // within what the pool has room for (the second). OFFSET 0 renders each payload once.
  private static final String PAYLOADS =
      """
      SELECT id, bytes, CASE WHEN bytes <= ? AND total <= ? THEN t END
      FROM (SELECT id, ord, t, octet_length(t) AS bytes,
                   sum(CASE WHEN octet_length(t) <= ? THEN octet_length(t) ELSE 0 END) OVER (ORDER BY ord) AS total
            FROM (SELECT e.id, p.ord, e.data::text AS t
                  FROM unnest(?::int8[]) WITH ORDINALITY AS p (id, ord) JOIN events e ON e.id = p.id
                  OFFSET 0) AS rendered) AS summed
      ORDER BY ord
      """;

  private ClaimedRows() {}

  /** Reads the rows of {@code claim}, a query that begins with {@link #SELECT}, as events. */
  static Claimed read(Connection c, PreparedStatement claim, int expected, PayloadBudget budget)
      throws SQLException {
    List<Row> rows = new ArrayList<>(expected);
    try (ResultSet rs = claim.executeQuery()) {
      while (rs.next()) {
        int userId = rs.getInt(3);
        Integer nullableUserId = rs.wasNull() ? null : userId;
        OffsetDateTime created = rs.getObject(5, OffsetDateTime.class);
        rows.add(new Row(rs.getLong(1), rs.getString(2), nullableUserId, rs.getBytes(4),
            created == null ? null : created.toInstant(), rs.getInt(6), rs.getObject(7, OffsetDateTime.class)));
      }
    }
    Map<Long, Payload> large = readLarge(c, rows, budget);
    List<Event> events = new ArrayList<>(rows.size());
    Position last = null;
    for (Row row : rows) {
      Event event = row.json() != null ? row.event(row.json()) : large.get(row.id()).event(row, budget);
      if (event == null) {
        // No room left: this event and the rest stay pending, for a later batch.
        budget.refuse();
        break;
      }
      events.add(event);
      last = new Position(row.runAt(), row.id());
    }
    return new Claimed(events, last);
  }

  /** The payloads the claim left out, by event id: one more round trip, only when there are any. */
  private static Map<Long, Payload> readLarge(Connection c, List<Row> rows, PayloadBudget budget)
      throws SQLException {
    Object[] ids = rows.stream().filter(r -> r.json() == null).map(Row::id).toArray();
    if (ids.length == 0) {
      return Map.of();
    }
    Map<Long, Payload> payloads = new HashMap<>();
    try (PreparedStatement ps = c.prepareStatement(PAYLOADS)) {
      ps.setLong(1, budget.limit());
      ps.setLong(2, Math.max(0, budget.available()));
      ps.setLong(3, budget.limit());
      ps.setArray(4, c.createArrayOf("int8", ids));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          payloads.put(rs.getLong(1), new Payload(rs.getLong(2), rs.getBytes(3)));
        }
      }
    }
    return payloads;
  }

  /** A payload read apart: its length as JSON text, and the text if there was room for it. */
  private record Payload(long bytes, byte[] json) {
    /** The event; unreadable if larger than any batch may hold; null if there was no room. */
    Event event(Row row, PayloadBudget budget) {
      if (json != null) {
        budget.take(bytes);
        return row.event(json);
      }
      if (bytes > budget.limit()) {
        return Event.unreadable(row.id(), row.type(), row.userId(), row.createdAt(), row.attempts(),
            "payload is " + bytes + " bytes as JSON text, more than the " + budget.limit()
                + " this worker can hold (the limit grows with its memory)");
      }
      return null;
    }
  }

  /** A claimed row, its payload null when the claim left it out as large. */
  private record Row(long id, String type, Integer userId, byte[] json, Instant createdAt, int attempts,
      OffsetDateTime runAt) {
    Event event(byte[] payload) {
      return new Event(id, type, userId, payload, createdAt, attempts);
    }
  }
}
