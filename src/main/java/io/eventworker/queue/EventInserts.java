package io.eventworker.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Duration;

/**
 * The INSERT of one event as a producer writes it (docs/PRODUCERS.md): at once or at a given time,
 * and with an idempotency key stored once per event type.
 */
public final class EventInserts {

  // run_at: the time given, or now(), the column's default; then the delay, if any.
  private static final String INSERT =
      """
      INSERT INTO events (event_type, user_id, data, run_at)
      VALUES (?, ?, ?::jsonb, coalesce(?::timestamptz, now()) + ?::int8 * interval '1 millisecond')
      RETURNING id, run_at::text
      """;

  // The producer contract's statement, without its conflict target: the only unique index an
  // insert can meet is migration 7.1's (ids come from a sequence), and a partitioned events
  // (docs/PARTITIONING.md) has that index per partition, which a target cannot name. An event
  // already stored with the key returns no row.
  private static final String INSERT_KEYED =
      """
      INSERT INTO events (event_type, user_id, data, run_at, idempotency_key)
      VALUES (?, ?, ?::jsonb, coalesce(?::timestamptz, now()) + ?::int8 * interval '1 millisecond', ?)
      ON CONFLICT DO NOTHING
      RETURNING id, run_at::text
      """;

  private static final String FIND_KEYED =
      """
      SELECT id, run_at::text FROM events WHERE event_type = ? AND idempotency_key = ?
      """;

  /**
   * The event's id and when it is due (in DB_TIMEZONE); {@code stored} false when an event with its
   * key was there already (then these are that event's).
   */
  public record Inserted(long id, String runAt, boolean stored) {}

  /**
   * Inserts {@code event}, due {@code delay} after its {@code runAt} (or after now); with an
   * idempotency key, only if no event of its type has that key yet (autocommit: the event found
   * then is the one a concurrent producer committed).
   */
  public Inserted insert(Connection c, NewEvent event, Duration delay) throws SQLException {
    boolean keyed = event.idempotencyKey() != null;
    try (PreparedStatement ps = c.prepareStatement(keyed ? INSERT_KEYED : INSERT)) {
      ps.setString(1, event.eventType());
      if (event.userId() == null) {
        ps.setNull(2, Types.INTEGER);
      } else {
        ps.setInt(2, event.userId());
      }
      ps.setString(3, event.data());
      ps.setString(4, event.runAt());
      ps.setLong(5, delay.toMillis());
      if (keyed) {
        ps.setString(6, event.idempotencyKey());
      }
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          return new Inserted(rs.getLong(1), rs.getString(2), true);
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement(FIND_KEYED)) {
      ps.setString(1, event.eventType());
      ps.setString(2, event.idempotencyKey());
      try (ResultSet rs = ps.executeQuery()) {
        // Gone again only if pruned or deleted in between: then nothing holds the key.
        return rs.next()
            ? new Inserted(rs.getLong(1), rs.getString(2), false)
            : new Inserted(0, null, false);
      }
    }
  }
}
