package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.json.Json;
import io.eventworker.testing.PostgresServer;
import io.eventworker.testing.WorkerProcess;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
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
    WorkerProcess bench =
        WorkerProcess.startClass(
            "bench",
            Map.of("DATABASE_URL", server.adminUrl()),
            "io.eventworker.bench.BenchCommand",
            "--events",
            "2000",
            "--quick",
            "--json");
    assertEquals(0, bench.awaitExit(Duration.ofMinutes(15)), bench.output());
    String output = bench.output();
    JsonNode report = Json.MAPPER.readTree(output.substring(output.indexOf("{\n")));

    JsonNode results = report.get("results");
    for (String rate :
        List.of(
            "worker",
            "sql_floor",
            "worker_one_drain",
            "deep_pending",
            "processed_kept",
            "prune_alongside",
            "held_horizon")) {
      assertEquals(2000, results.at("/" + rate + "/events").asLong(), rate);
      assertTrue(results.at("/" + rate + "/events_per_second").asLong() > 0, rate);
    }
    assertTrue(results.at("/worker_vs_floor/ratio").asDouble() > 0);
    assertTrue(
        results.at("/hostile_input/events").asLong() > 2000, "valid and valid-hostile events");
    assertTrue(results.at("/hostile_input/ratio").asDouble() > 0);
    assertTrue(
        results.at("/latency_idle/samples").asInt() == 100
            && results.at("/latency_idle/p50_ms").asDouble() > 0);
    assertTrue(results.at("/latency_half_load/samples").asInt() > 0);
    assertTrue(results.at("/ingest_enqueue_file/value").asDouble() > 0);
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
    assertEquals(3, coldStart.size(), coldStart.toString());
    for (int v = 0; v < 3; v++) {
      assertEquals(
          20_000, results.at("/cold_start_" + v + "/events").asLong(), "the least backlog");
      assertTrue(results.at("/cold_start_" + v + "/ratio").asDouble() > 0, results.toString());
      assertTrue(results.at("/cold_start_ready_" + v + "/value").asDouble() > 0);
    }

    // Partitioned retention (docs/PARTITIONING.md): 25 x 2,000 rows of history in each database.
    assertEquals(2000, results.at("/partitions_throughput/events").asLong(), results.toString());
    assertTrue(results.at("/partitions_throughput/ratio").asDouble() > 0);
    assertTrue(results.at("/partitions_delete_seconds/value").asDouble() > 0);
    assertTrue(results.at("/partitions_drop_seconds/value").asDouble() > 0);
    assertTrue(results.at("/partitions_delete_wal_mb/value").asDouble() > 0);
    assertTrue(results.at("/partitions_conversion_seconds/value").asDouble() > 0);

    try (Connection c = server.connect("postgres");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT count(*) FROM pg_database WHERE datname LIKE 'event_worker_bench_%'")) {
      rs.next();
      assertEquals(0, rs.getLong(1), "the benchmark dropped its database");
    }
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
