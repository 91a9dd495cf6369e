package io.eventworker.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.json.Json;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The KEDA trigger's query, read from the rendered ScaledObject, against a real database: it counts
 * the due pending events of the handled types and nothing else, up to its cap, through the claim
 * index, in under 10 ms with a million due.
 */
@Tag("database")
class ScalerQueryTest {

  private static String query;
  private static long cap;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @BeforeAll
  static void readTheQueryFromTheManifest() {
    List<JsonNode> objects = Kustomize.render("base");
    JsonNode meta = Kustomize.scalerTrigger(objects).get("metadata");
    query = meta.get("query").asText();
    int max =
        Kustomize.find(objects, "ScaledObject", "event-worker").at("/spec/maxReplicaCount").asInt();
    cap = meta.get("targetQueryValue").asLong() * max;
  }

  @Test
  void anEmptyQueueCountsZero() throws Exception {
    insertNoise(1_000, 1_000);
    assertEquals(0, db.queryLong(query));
  }

  @Test
  void oneDueEventCountsOne() throws Exception {
    insertNoise(1_000, 1_000);
    insertDue("metric", 1);
    assertEquals(1, db.queryLong(query));
  }

  @Test
  void belowTheCapEveryDueEventOfEitherTypeCounts() throws Exception {
    insertNoise(1_000, 1_000);
    insertDue("data_entry", 3_000);
    insertDue("metric", 2_000);
    assertEquals(5_000, db.queryLong(query));
  }

  @Test
  void aMillionDueEventsCountToTheCapThroughTheClaimIndexInUnderTenMilliseconds() throws Exception {
    insertNoise(1_000_000, 100_000);
    insertDue("data_entry", 500_000);
    insertDue("metric", 500_000);
    double fresh = medianMillis();
    db.execute("VACUUM ANALYZE events");
    String plan = plan();
    assertTrue(plan.contains("idx_events_claim"), plan);
    assertTrue(plan.contains("Index Only Scan"), plan);
    assertEquals(cap, db.queryLong(query));
    List<Double> vacuumedTimes = millis(query, 5, 21);
    double vacuumed = vacuumedTimes.get(vacuumedTimes.size() / 2);
    double fastest = vacuumedTimes.get(0);
    // For comparison only: the same count without its cap, which reads every due entry.
    String exact = query.replaceFirst(" LIMIT \\d+\\)", ")");
    assertEquals(1_000_000, db.queryLong(exact));
    System.out.printf(
        "[scaler query] 1,000,000 due, 1,102,000 other rows: median %.2f ms vacuumed,"
            + " %.2f ms just inserted, %.2f ms uncapped; plan:%n%s%n",
        vacuumed, fresh, medianMillis(exact, 1, 5), explainAnalyze());
    // What the query costs is its fastest run: a loaded machine only adds to it (CI shares its
    // cores with the build). The buffers it touches are the cost the machine cannot blur.
    assertTrue(fastest < 10, "fastest " + fastest + " ms, median " + vacuumed + " ms");
    long buffers = buffersTouched();
    assertTrue(buffers < 1_000, buffers + " buffers");
  }

  /**
   * Rows the query must not count: processed and failed events, handled events due only in an hour,
   * and due events of a type with no handler here (sorting before the handled ones).
   */
  private void insertNoise(int processed, int unhandled) throws SQLException {
    db.execute(
        "INSERT INTO events (event_type, data, status, processed_at, run_at)"
            + " SELECT CASE WHEN g % 2 = 0 THEN 'data_entry' ELSE 'metric' END, '{}', 'processed',"
            + " now(), now() - interval '1 hour' FROM generate_series(1, "
            + processed
            + ") g",
        "INSERT INTO events (event_type, data, status, processed_at, run_at, last_error)"
            + " SELECT 'metric', '{}', 'failed', now(), now() - interval '1 hour', 'bad'"
            + " FROM generate_series(1, 1000)",
        "INSERT INTO events (event_type, data, run_at)"
            + " SELECT 'data_entry', '{}', now() + interval '1 hour' FROM generate_series(1, 1000)",
        "INSERT INTO events (event_type, data, run_at)"
            + " SELECT 'audit', '{}', now() - interval '1 minute' FROM generate_series(1, "
            + unhandled
            + ")");
  }

  private void insertDue(String type, int count) throws SQLException {
    db.execute(
        "INSERT INTO events (event_type, data, run_at) SELECT '"
            + type
            + "', '{}', now() - interval '1 minute' FROM generate_series(1, "
            + count
            + ")");
  }

  /** The median wall time of the query from this client, 21 runs after five to warm up. */
  private double medianMillis() throws SQLException {
    return medianMillis(query, 5, 21);
  }

  private double medianMillis(String sql, int warmUp, int runs) throws SQLException {
    List<Double> times = millis(sql, warmUp, runs);
    return times.get(times.size() / 2);
  }

  /** The times of {@code runs} runs after {@code warmUp}, sorted, in milliseconds. */
  private List<Double> millis(String sql, int warmUp, int runs) throws SQLException {
    List<Double> times = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      for (int i = 0; i < warmUp + runs; i++) {
        long start = System.nanoTime();
        try (ResultSet rs = s.executeQuery(sql)) {
          rs.next();
        }
        if (i >= warmUp) {
          times.add((System.nanoTime() - start) / 1e6);
        }
      }
    }
    Collections.sort(times);
    return times;
  }

  /** Shared buffers the query hit or read, from the top node of its EXPLAIN (ANALYZE, BUFFERS). */
  private long buffersTouched() throws Exception {
    String json = lines("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + query);
    JsonNode plan = Json.MAPPER.readTree(json).get(0).get("Plan");
    return plan.get("Shared Hit Blocks").asLong() + plan.get("Shared Read Blocks").asLong();
  }

  private String plan() throws SQLException {
    return lines("EXPLAIN " + query);
  }

  private String explainAnalyze() throws SQLException {
    return lines("EXPLAIN (ANALYZE, BUFFERS) " + query);
  }

  private String lines(String sql) throws SQLException {
    StringBuilder out = new StringBuilder();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      while (rs.next()) {
        out.append(rs.getString(1)).append('\n');
      }
    }
    return out.toString();
  }
}
