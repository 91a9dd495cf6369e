package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.HostileCorpus;
import io.eventworker.testing.HostileCorpus.HostileEvent;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Over 10,000 hostile payloads mixed into valid traffic: each ends processed or failed with a clear
 * reason, none blocks the queue, SQL text is stored as text, and the valid events are processed
 * exactly once. (Their throughput beside the corpus is measured by {@code bench}.)
 */
@Tag("database")
class HostileInputTest {

  private static final int VALID = 20_000;
  private static final int HOSTILE = 16_000;
  private static final int DANGLING = 50;
  private static final List<String> REASONS =
      List.of("invalid payload: ", "no handler for event type '", "rejected by the database: ");

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void everyHostileEventEndsProcessedOrFailedAndNoneBlocksTheQueue() throws Exception {
    db.execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')");
    List<HostileEvent> corpus = HostileCorpus.generate(HOSTILE);
    assertTrue(
        corpus.stream().filter(e -> !e.processed()).count() >= 10_000,
        "at least 10,000 bad payloads");
    Map<Long, HostileEvent> byId = new HashMap<>();
    // Valid and hostile traffic interleaved, as producers would send it.
    int chunks = 20;
    try (Connection c = db.connect();
        PreparedStatement insert =
            c.prepareStatement(
                "INSERT INTO events (event_type, user_id, data) VALUES (?, 1, ?::jsonb) RETURNING"
                    + " id")) {
      for (int chunk = 0; chunk < chunks; chunk++) {
        Fixtures.insertMixed(db, chunk * VALID / chunks + 1, (chunk + 1) * VALID / chunks, 0);
        for (HostileEvent e :
            corpus.subList(chunk * HOSTILE / chunks, (chunk + 1) * HOSTILE / chunks)) {
          insert.setString(1, e.eventType());
          insert.setString(2, e.data());
          try (ResultSet rs = insert.executeQuery()) {
            rs.next();
            byId.put(rs.getLong(1), e);
          }
        }
      }
      // A user_id that no longer exists: the original schema's foreign key keeps producers from
      // writing one,
      // so the test writes it with the foreign keys off, as a restored or repaired table might.
      try (Statement s = c.createStatement()) {
        s.execute("SET session_replication_role = replica");
        s.execute(
            "INSERT INTO events (event_type, user_id, data) SELECT 'data_entry', 2000000000,"
                + " jsonb_build_object('key', 'dangling-' || g) FROM generate_series(1, "
                + DANGLING
                + ") g");
        s.execute("RESET session_replication_role");
      }
    }

    try (RunningWorker worker =
        RunningWorker.start(db.config("WORKER_THREADS", "2", "UNHANDLED_EVENT_TYPES", "fail"))) {
      await()
          .atMost(Duration.ofMinutes(3))
          .pollInterval(Duration.ofMillis(200))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
    }

    // Every hostile event ended as its kind requires, every failure with a clear reason.
    Map<String, Integer> wrong = new TreeMap<>();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT id, status, last_error FROM events WHERE id = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("int8", byId.keySet().toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        int seen = 0;
        while (rs.next()) {
          seen++;
          HostileEvent e = byId.get(rs.getLong(1));
          String status = rs.getString(2);
          String error = rs.getString(3);
          boolean right =
              e.processed()
                  ? status.equals("processed")
                  : status.equals("failed")
                      && error != null
                      && REASONS.stream().anyMatch(error::startsWith);
          if (!right) {
            wrong.merge(e.kind() + " -> " + status + ": " + error, 1, Integer::sum);
          }
        }
        assertEquals(HOSTILE, seen);
      }
    }
    assertTrue(wrong.isEmpty(), "hostile events that did not end as expected: " + wrong);

    assertEquals(
        DANGLING,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'failed' AND last_error LIKE 'rejected by"
                + " the database: insert or update on table \"data_entries\" violates foreign key"
                + " constraint%'"));

    // SQL text is stored as text, and nothing it names was touched.
    long sqlText = corpus.stream().filter(e -> e.kind().equals("sql-text")).count();
    assertEquals(
        sqlText,
        db.queryLong(
            "SELECT count(*) FROM data_entries WHERE key LIKE '''); DROP TABLE users;--hostile-%'"
                + " AND value = '1; DELETE FROM events WHERE true; --' AND type = 'x'' OR"
                + " ''1''=''1'"));
    assertEquals(
        corpus.stream().filter(e -> e.kind().equals("sql-metric-name")).count(),
        db.queryLong(
            "SELECT count(*) FROM metrics WHERE metric_name LIKE 'Robert''); DROP TABLE"
                + " students;--hostile-%'"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM users"));
    assertEquals(
        corpus.stream().filter(e -> e.kind().startsWith("megabyte")).count(),
        db.queryLong(
            "SELECT count(*) FROM data_entries WHERE length(value) = 1048576 OR"
                + " length(metadata->>'blob') = 1048576"));
    assertEquals(
        corpus.stream().filter(e -> e.kind().equals("odd-unicode")).count(),
        db.queryLong(
            "SELECT count(*) FROM data_entries WHERE key LIKE 'emoji 😀 rtl עברית%' AND value LIKE"
                + " '%\uFEFF sep \u2028%𝔘𝔫𝔦'"));

    // The valid traffic, processed exactly once.
    Fixtures.Expected valid = Fixtures.expected(VALID, 0);
    assertEquals(
        valid.entries(),
        db.queryLong("SELECT count(DISTINCT key) FROM data_entries WHERE key LIKE 'k-%'"));
    assertEquals(
        valid.entries(), db.queryLong("SELECT count(*) FROM data_entries WHERE key LIKE 'k-%'"));
    assertEquals(
        valid.metrics(), db.queryLong("SELECT count(*) FROM metrics WHERE metric_name LIKE 'm-%'"));
    assertEquals(
        0,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts <> 1"));
  }
}
