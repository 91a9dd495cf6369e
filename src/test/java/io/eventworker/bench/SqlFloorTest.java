package io.eventworker.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The SQL floor is only a fair limit if it does the worker's work: the same payloads, drained once
 * by the floor's statements and once by the real handlers, leave the same rows.
 */
@Tag("database")
class SqlFloorTest {

  private static final List<String> DATA_ENTRIES =
      List.of(
          "{\"key\":\"k1\",\"value\":\"plain"
              + " text\",\"type\":\"note\",\"metadata\":{\"a\":1,\"b\":[true,null]}}",
          "{\"key\":\"k2\",\"value\":42}",
          "{\"key\":\"k8\",\"value\":{\"enabled\":true,\"list\":[1,2.50,\"x\"]}}",
          "{\"key\":\"k3\",\"value\":2.50,\"type\":\"price\"}",
          "{\"key\":\"k4\",\"value\":true}",
          "{\"key\":\"k5\",\"value\":null,\"extra\":\"ignored\"}",
          "{\"key\":\"k6\"}",
          "{\"key\":\"k7\",\"value\":\"\\u00e9t\\u00e9 \\ud83d\\ude00\"}");
  private static final List<String> METRICS =
      List.of(
          "{\"name\":\"latency_ms\",\"value\":12.50,\"tags\":{\"route\":\"/\"}}",
          "{\"name\":\"count\",\"value\":7}",
          "{\"name\":\"ratio\",\"value\":-0.000125,\"tags\":{}}",
          "{\"name\":\"big\",\"value\":123456789012345678901234567890}");

  // An object or array value is stored as JSON text: the handler writes it compact, the floor as
  // jsonb prints it, so those two are compared as JSON; everything else is compared exactly.
  private static final String ROWS =
      """
      SELECT user_id, key, CASE WHEN value ~ '^[[{]' THEN value::jsonb::text ELSE value END, type, metadata::text
      FROM data_entries
      UNION ALL
      SELECT NULL, metric_name, metric_value::text, NULL, tags::text FROM metrics
      ORDER BY 2, 3
      """;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void theFloorWritesWhatTheHandlersWrite() throws Exception {
    db.execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')");
    insert(SqlFloor.DATA_ENTRY, SqlFloor.METRIC);
    try (Connection c = db.connect()) {
      drain(c, SqlFloor.DATA_ENTRIES, SqlFloor.DATA_ENTRY);
      drain(c, SqlFloor.METRICS, SqlFloor.METRIC);
    }
    List<List<String>> byFloor = rows();
    assertEquals(DATA_ENTRIES.size() + METRICS.size(), byFloor.size());

    db.execute("TRUNCATE data_entries, metrics");
    insert("data_entry", "metric");
    try (RunningWorker worker =
        RunningWorker.start(db.config("WORKER_THREADS", "1", "BATCH_SIZE", "3"))) {
      Awaitility.await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> db.queryLong("SELECT count(*) FROM events WHERE status <> 'processed'") == 0);
    }
    assertEquals(byFloor, rows());
    assertEquals(
        2L * (DATA_ENTRIES.size() + METRICS.size()),
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
  }

  private void insert(String dataEntryType, String metricType) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO events (event_type, user_id, data) VALUES (?, ?, ?::jsonb)")) {
      for (String data : DATA_ENTRIES) {
        ps.setString(1, dataEntryType);
        ps.setInt(2, 1);
        ps.setString(3, data);
        ps.addBatch();
      }
      for (String data : METRICS) {
        ps.setString(1, metricType);
        ps.setNull(2, java.sql.Types.INTEGER);
        ps.setString(3, data);
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  private static void drain(Connection c, String sql, String type) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setString(1, type);
      ps.setInt(2, 3);
      while (ps.executeUpdate() > 0) {
        // Batches of three, as the worker below claims them.
      }
    }
  }

  private List<List<String>> rows() throws SQLException {
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(ROWS)) {
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= 5; i++) {
          row.add(rs.getString(i));
        }
        rows.add(row);
      }
    }
    return rows;
  }
}
