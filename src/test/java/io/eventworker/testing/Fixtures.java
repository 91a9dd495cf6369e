package io.eventworker.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;

/**
 * Generated traffic whose effects can be checked row by row: event i is a {@code data_entry} with
 * key {@code k-i} when i is odd, a {@code metric} named {@code m-i} when even; every {@code
 * invalidEvery}-th is invalid (no key, or a value that is not a number). Unique keys and names make
 * a duplicate visible as a repeated key.
 */
public final class Fixtures {

  private Fixtures() {}

  /** Inserts events 1..n with plain SQL, as a producer would. */
  public static void insertMixed(TestDatabase db, int n, int invalidEvery) throws SQLException {
    insertMixed(db, 1, n, invalidEvery);
  }

  /** Inserts events from..to (inclusive) in one statement. */
  public static void insertMixed(TestDatabase db, int from, int to, int invalidEvery)
      throws SQLException {
    String every = Integer.toString(invalidEvery <= 0 ? Integer.MAX_VALUE : invalidEvery);
    db.execute(
        """
        INSERT INTO events (event_type, user_id, data)
        SELECT CASE WHEN g % 2 = 1 THEN 'data_entry' ELSE 'metric' END,
               NULL,
               CASE
                 WHEN g % {every} = 0 AND g % 2 = 1 THEN jsonb_build_object('value', g)
                 WHEN g % {every} = 0 THEN jsonb_build_object('name', 'm-' || g, 'value', 'not a number')
                 WHEN g % 2 = 1 THEN jsonb_build_object('key', 'k-' || g, 'value', g, 'type', 't')
                 ELSE jsonb_build_object('name', 'm-' || g, 'value', g * 0.5, 'tags', jsonb_build_object('i', g))
               END
        FROM generate_series({from}, {to}) AS g
        ORDER BY g
        """
            .replace("{every}", every)
            .replace("{from}", Integer.toString(from))
            .replace("{to}", Integer.toString(to)));
  }

  /** Writes the same events as NDJSON lines for {@code enqueue --file}. */
  public static void writeMixed(Path file, int n, int invalidEvery) throws IOException {
    try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      for (int i = 1; i <= n; i++) {
        boolean invalid = invalidEvery > 0 && i % invalidEvery == 0;
        boolean entry = i % 2 == 1;
        String data;
        if (entry) {
          data =
              invalid
                  ? "{\"value\":" + i + "}"
                  : "{\"key\":\"k-" + i + "\",\"value\":" + i + ",\"type\":\"t\"}";
        } else {
          data =
              invalid
                  ? "{\"name\":\"m-" + i + "\",\"value\":\"not a number\"}"
                  : "{\"name\":\"m-"
                      + i
                      + "\",\"value\":"
                      + (i * 0.5)
                      + ",\"tags\":{\"i\":"
                      + i
                      + "}}";
        }
        out.write(
            "{\"event_type\":\""
                + (entry ? "data_entry" : "metric")
                + "\",\"user_id\":null,\"data\":"
                + data
                + "}\n");
      }
    }
  }

  /** How many of events 1..n are valid data entries, valid metrics, and invalid. */
  public record Expected(long entries, long metrics, long invalid) {}

  public static Expected expected(int n, int invalidEvery) {
    long entries = 0;
    long metrics = 0;
    long invalid = 0;
    for (int i = 1; i <= n; i++) {
      if (invalidEvery > 0 && i % invalidEvery == 0) {
        invalid++;
      } else if (i % 2 == 1) {
        entries++;
      } else {
        metrics++;
      }
    }
    return new Expected(entries, metrics, invalid);
  }

  /**
   * Checks the invariant row by row: every valid event processed once with exactly one row, every
   * invalid one failed with its error, none pending, nothing else written.
   */
  public static void assertExactlyOnce(TestDatabase db, int n, int invalidEvery)
      throws SQLException {
    Expected e = expected(n, invalidEvery);
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status IS DISTINCT FROM 'processed' AND status IS"
                + " DISTINCT FROM 'failed'"),
        "events neither processed nor failed");
    assertEquals(
        e.entries() + e.metrics(),
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"),
        "processed events");
    assertEquals(
        e.invalid(),
        db.queryLong("SELECT count(*) FROM events WHERE status = 'failed'"),
        "failed events");
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'failed' AND coalesce(last_error, '') ="
                + " ''"),
        "failed events without last_error");
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status IN ('processed', 'failed') AND processed_at"
                + " IS NULL"),
        "finished events without processed_at");
    assertEquals(
        e.entries(), db.queryLong("SELECT count(*) FROM data_entries"), "data_entries rows");
    assertEquals(
        e.entries(),
        db.queryLong("SELECT count(DISTINCT key) FROM data_entries"),
        "distinct data_entries keys");
    assertEquals(e.metrics(), db.queryLong("SELECT count(*) FROM metrics"), "metrics rows");
    assertEquals(
        e.metrics(),
        db.queryLong("SELECT count(DISTINCT metric_name) FROM metrics"),
        "distinct metric names");
    // Each row belongs to a processed event, and every processed event has its row.
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM events e WHERE e.status = 'processed' AND e.event_type ="
                + " 'data_entry' AND NOT EXISTS (SELECT 1 FROM data_entries d WHERE d.key ="
                + " e.data->>'key')"),
        "processed entries without a row");
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM events e WHERE e.status = 'processed' AND e.event_type = 'metric'"
                + " AND NOT EXISTS (SELECT 1 FROM metrics m WHERE m.metric_name ="
                + " e.data->>'name')"),
        "processed metrics without a row");
  }

  /**
   * Mid-run (after a kill or a SIGTERM): every processed event has its row and no other event has
   * one, whatever state the rest of the queue is in.
   */
  public static void assertNothingHalfDone(TestDatabase db) throws SQLException {
    assertEquals(
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'processed' AND event_type = 'data_entry'"),
        db.queryLong("SELECT count(*) FROM data_entries"),
        "data_entries rows against processed data_entry events");
    assertEquals(
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'processed' AND event_type = 'metric'"),
        db.queryLong("SELECT count(*) FROM metrics"),
        "metrics rows against processed metric events");
  }
}
