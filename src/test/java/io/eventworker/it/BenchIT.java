package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.json.Json;
import io.eventworker.testing.PostgresServer;
import io.eventworker.testing.WorkerProcess;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The benchmark runs every case and reports them. A smoke run with tiny sizes: the figures
 * themselves are measured by running the command (docs/PERFORMANCE.md), not here. The benchmark
 * lives outside the production jar, and the jar is checked to hold none of it.
 */
@Tag("process")
class BenchIT {

  @Test
  void runsEveryCaseAndDropsItsDatabase() throws Exception {
    PostgresServer server = PostgresServer.get();
    JsonNode report =
        runBench("bench", Duration.ofMinutes(15), "--cold-start-jvm=-XX:TieredStopAtLevel=1");

    JsonNode results = report.get("results");
    for (String rate :
        List.of(
            "worker",
            "sql_floor",
            "sql_best_floor",
            "worker_one_drain",
            "deep_pending",
            "processed_kept",
            "prune_alongside",
            "held_horizon")) {
      assertEquals(2000, results.at("/" + rate + "/events").asLong(), rate);
      assertTrue(results.at("/" + rate + "/events_per_second").asLong() > 0, rate);
    }
    assertTrue(results.at("/worker_vs_floor/ratio").asDouble() > 0);
    assertTrue(results.at("/worker_vs_best_floor/ratio").asDouble() > 0);
    // The grid: every batch size at every connection count, one of them the best.
    JsonNode grid = report.get("floor_grid");
    assertEquals(12, grid.size(), grid.toString());
    // Hostile: the clean rounds handle as many events as the mixed ones, valid and failing alike.
    assertTrue(results.at("/hostile_input/events").asLong() > 2000, "valid and hostile events");
    assertTrue(results.at("/hostile_input/ratio").asDouble() > 0);
    assertTrue(results.at("/hostile_valid_rate/value").asDouble() > 0);
    assertTrue(
        results.at("/latency_idle/samples").asInt() == 100
            && results.at("/latency_idle/p50_ms").asDouble() > 0);
    assertTrue(results.at("/latency_half_load/samples").asInt() > 0);
    assertTrue(results.at("/ingest_enqueue_file/value").asDouble() > 0);
    assertTrue(results.at("/ingest_psql_copy/value").asDouble() > 0);
    assertTrue(results.at("/ingest_file_vs_copy/value").asDouble() > 0);
    assertTrue(results.at("/ingest_multi_row_insert/value").asDouble() > 0);
    assertTrue(results.at("/worker_peak_rss/value").asDouble() > 0);
    // The held snapshot keeps VACUUM from removing the dead versions of processed events.
    assertTrue(
        results.at("/dead_tuples_held/value").asDouble()
            > results.at("/dead_tuples_clean/value").asDouble(),
        results.toString());
    assertTrue(report.at("/machine/server").asText().startsWith("PostgreSQL"));

    // Scale-out: one line per process count, each against its floor; scale-in lost nothing.
    JsonNode scaleOut = report.get("scale_out");
    assertEquals(4, scaleOut.size(), scaleOut.toString());
    for (int i = 0; i < 4; i++) {
      assertEquals(List.of("1", "2", "4", "8").get(i), scaleOut.get(i).get("processes").asText());
      assertTrue(scaleOut.get(i).get("of floor").asDouble() > 0, scaleOut.toString());
    }
    assertTrue(results.at("/scale_in/met").asBoolean(), results.at("/scale_in").toString());
    // Cold start: each JVM variant's first events against its warm rate, and its time to ready.
    JsonNode coldStart = report.get("cold_start");
    assertEquals(4, coldStart.size(), coldStart.toString());
    for (int v = 0; v < 4; v++) {
      assertEquals(
          20_000, results.at("/cold_start_" + v + "/events").asLong(), "the least backlog");
      assertTrue(results.at("/cold_start_" + v + "/ratio").asDouble() > 0, results.toString());
      assertTrue(results.at("/cold_start_ready_" + v + "/value").asDouble() > 0);
    }
    // The extra JVM's warm throughput against the image's, each group in its own database.
    String warm = "/warm_image_XX_TieredStopAtLevel_1";
    assertEquals(20_000, results.at(warm + "/events").asLong(), results.toString());
    assertTrue(results.at(warm + "/ratio").asDouble() > 0, results.toString());

    // The console's cost: worker throughput while / is fetched, against not fetched.
    for (String key : List.of("console_without", "console_every_second", "console_tight_loop")) {
      assertEquals(2000, results.at("/" + key + "/events").asLong(), key);
      assertTrue(results.at("/" + key + "/events_per_second").asLong() > 0, key);
    }
    assertTrue(results.at("/console_every_second/ratio").asDouble() > 0, results.toString());
    assertTrue(results.at("/console_tight_loop/ratio").asDouble() > 0, results.toString());
    assertTrue(results.at("/console_loop_pages_per_second/value").asDouble() > 0);

    // Its own database, by name: another benchmark may be running on the same server.
    String database = report.at("/machine/database").asText();
    assertTrue(database.startsWith("event_worker_bench_"), database);
    // Ordering: the ordered type's throughput against the same events unordered, by key count.
    for (String keys : List.of("1000", "10")) {
      String ordered = "/ordering_" + keys + "_keys";
      assertEquals(2000, results.at(ordered + "/events").asLong(), results.toString());
      assertTrue(results.at(ordered + "/ratio").asDouble() > 0, results.toString());
      assertTrue(results.at(ordered + "_unordered/events_per_second").asLong() > 0);
    }
    assertEquals(2, report.get("ordering").size(), report.toString());

    // Feature costs: get_user_statistics original against linear, same results.
    assertTrue(results.at("/user_statistics_same/met").asBoolean(), results.toString());
    assertEquals(100, results.at("/user_statistics_same/events").asLong());
    assertTrue(results.at("/user_statistics_original_ms/value").asDouble() > 0);
    assertTrue(results.at("/user_statistics_linear_ms/value").asDouble() > 0);
    assertTrue(results.at("/user_statistics_speedup/value").asDouble() > 0);
    // The GIN indexes: the worker's throughput with and without, and the queries they serve.
    assertEquals(2000, results.at("/gin_indexes_writes/events").asLong());
    assertTrue(results.at("/gin_indexes_writes/ratio").asDouble() > 0, results.toString());
    assertTrue(results.at("/gin_indexes_writes_without/events_per_second").asLong() > 0);
    for (String query : List.of("metrics_by_tags", "data_entries_by_metadata")) {
      assertTrue(results.at("/gin_indexes_plan_" + query + "/met").asBoolean(), query);
      assertEquals(10_000, results.at("/gin_indexes_plan_" + query + "/events").asLong(), query);
      assertTrue(results.at("/gin_indexes_" + query + "_ms/value").asDouble() > 0, query);
      assertTrue(results.at("/gin_indexes_" + query + "_without_ms/value").asDouble() > 0, query);
    }
    assertEquals(2, report.get("gin_indexes_queries").size(), report.toString());
    // Scheduled and deduplicated events: each measured against the same work without.
    for (String feature : List.of("scheduled", "idempotency_ingest", "idempotency_worker")) {
      assertEquals(2000, results.at("/" + feature + "/events").asLong(), feature);
      assertTrue(results.at("/" + feature + "/ratio").asDouble() > 0, results.toString());
    }
    // Partitioned retention (docs/PARTITIONING.md): 25 x 2,000 rows of history in each database.
    assertEquals(2000, results.at("/partitions_throughput/events").asLong(), results.toString());
    assertTrue(results.at("/partitions_throughput/ratio").asDouble() > 0);
    assertTrue(results.at("/partitions_delete_seconds/value").asDouble() > 0);
    assertTrue(results.at("/partitions_drop_seconds/value").asDouble() > 0);
    assertTrue(results.at("/partitions_delete_wal_mb/value").asDouble() > 0);
    assertTrue(results.at("/partitions_conversion_seconds/value").asDouble() > 0);

    try (Connection c = server.connect("postgres");
        PreparedStatement ps =
            c.prepareStatement("SELECT count(*) FROM pg_database WHERE datname = ?")) {
      ps.setString(1, database);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        assertEquals(0, rs.getLong(1), "the benchmark dropped its database " + database);
      }
    }
  }

  @Test
  void throughputRunsOnlyTheWorkerAgainstBothFloorsAndTheIngestRates() throws Exception {
    JsonNode report = runBench("bench-throughput", Duration.ofMinutes(10), "--throughput");
    JsonNode results = report.get("results");
    for (String rate : List.of("worker", "sql_floor", "sql_best_floor")) {
      assertEquals(2000, results.at("/" + rate + "/events").asLong(), rate);
    }
    assertTrue(results.at("/worker_vs_best_floor/ratio").asDouble() > 0);
    assertTrue(results.at("/ingest_file_vs_copy/value").asDouble() > 0);
    assertEquals(12, report.get("floor_grid").size(), report.toString());
    // Nothing else: the depth cases, scale-out, cold start and features did not run.
    for (String absent : List.of("worker_one_drain", "deep_pending", "scale_in", "cold_start_0")) {
      assertTrue(results.path(absent).isMissingNode(), absent + " ran: " + results);
    }
    assertTrue(report.path("scale_out").isMissingNode(), report.toString());
  }

  /** A smoke run of the benchmark, 2,000 events a case, with {@code args}; its JSON report. */
  private static JsonNode runBench(String name, Duration timeout, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of("--events", "2000", "--quick"));
    command.addAll(List.of(args));
    command.add("--json");
    WorkerProcess bench =
        WorkerProcess.startClass(
            name,
            Map.of("DATABASE_URL", PostgresServer.get().adminUrl()),
            "io.eventworker.bench.BenchCommand",
            command.toArray(String[]::new));
    assertEquals(0, bench.awaitExit(timeout), bench.output());
    String output = bench.output();
    return Json.MAPPER.readTree(output.substring(output.indexOf("{\n")));
  }

  @Test
  void theProductionJarHoldsNoBenchmarkOrTestCode() throws Exception {
    try (JarFile jar = new JarFile(WorkerProcess.JAR.toFile())) {
      List<String> strays =
          jar.stream()
              .map(JarEntry::getName)
              .filter(
                  n ->
                      n.startsWith("io/eventworker/bench/")
                          || n.startsWith("io/eventworker/testing/"))
              .toList();
      assertEquals(List.of(), strays);
      assertTrue(jar.getEntry("io/eventworker/cli/Main.class") != null, "the jar holds the worker");
    }
  }
}
