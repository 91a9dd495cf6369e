package io.eventworker.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Jar;
import io.eventworker.testing.PostgresCluster;
import io.eventworker.testing.Programs;
import io.eventworker.testing.TcpProxy;
import io.eventworker.testing.WorkerProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.DoublePredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter's replication queries (deploy/prometheus/postgres-exporter-queries.yml) against a
 * real primary and a streaming standby: the real postgres_exporter on each, scraped directly. The
 * primary reports its standby by name with lag 0 while it keeps up and with the bytes it lacks
 * while its replication link is stalled; the standby reports itself as one.
 */
@Tag("deploy")
class ReplicationMetricsIT {

  private static final String DB = "monitored";
  private static final Path QUERIES = Path.of("deploy/prometheus/postgres-exporter-queries.yml");

  @TempDir Path dir;
  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();

  @AfterEach
  void stopExporters() throws Exception {
    for (Process p : started) {
      p.destroy();
      p.waitFor();
    }
  }

  @Test
  void exporterShowsTheStandbyAndItsLag() throws Exception {
    String exporter = Programs.require("prometheus-postgres-exporter", "postgres_exporter");
    try (PostgresCluster primary = PostgresCluster.start(null);
        TcpProxy link = TcpProxy.start("127.0.0.1", primary.port());
        PostgresCluster standby = primary.startStandby("standby1", link.port())) {
      // The event-worker schema, which the exporter's other queries read, made on the primary
      // and so on the standby too.
      primary.execute("postgres", "CREATE DATABASE " + DB);
      Jar.run(Map.of("DATABASE_URL", primary.url(DB)), "migrate");
      String onPrimary = "http://127.0.0.1:" + startExporter(exporter, primary, "p") + "/metrics";
      String onStandby = "http://127.0.0.1:" + startExporter(exporter, standby, "s") + "/metrics";
      String standby1 = "pg_replication_standby_flush_lag_bytes{application_name=\"standby1\"";

      assertEquals(0.0, await(onPrimary, "pg_replication_is_standby", v -> true));
      assertEquals(1.0, await(onPrimary, "pg_replication_streaming_standbys", v -> v == 1));
      assertEquals(0.0, await(onPrimary, standby1, v -> v == 0), "caught up");
      assertEquals(1.0, await(onStandby, "pg_replication_is_standby", v -> true));
      assertEquals(0.0, await(onStandby, "pg_replication_streaming_standbys", v -> true));
      assertEquals(0.0, await(onStandby, "pg_replication_replay_delay_seconds", v -> true));

      // The link stalls: what the primary writes now does not reach the standby.
      link.blackhole();
      primary.execute(
          DB,
          "CREATE TABLE filler AS SELECT g, repeat('x', 100) AS pad"
              + " FROM generate_series(1, 100000) AS g");
      double behind = await(onPrimary, standby1, v -> v > 1_000_000);
      assertTrue(behind > 1_000_000, "bytes the standby lacks: " + behind);
      for (String url : List.of(onPrimary, onStandby)) {
        assertEquals(0.0, await(url, "pg_exporter_last_scrape_error", v -> true), log());
      }
      link.forward();
      assertEquals(0.0, await(onPrimary, standby1, v -> v == 0), "caught up again");
    }
  }

  private int startExporter(String program, PostgresCluster cluster, String name) throws Exception {
    int port = WorkerProcess.freePort();
    String dsn =
        "postgresql://postgres@127.0.0.1:" + cluster.port() + "/" + DB + "?sslmode=disable";
    started.add(
        Programs.start(
            Map.of("DATA_SOURCE_NAME", dsn),
            dir.resolve("exporter-" + name + ".log"),
            program,
            "--web.listen-address=127.0.0.1:" + port,
            "--extend.query-path=" + QUERIES.toAbsolutePath()));
    return port;
  }

  /**
   * Scrapes {@code url} until the sample whose name and labels start with {@code series} satisfies
   * {@code until}; returns it.
   */
  private double await(String url, String series, DoublePredicate until) throws Exception {
    Pattern sample = Pattern.compile("(?m)^" + Pattern.quote(series) + "[^ ]* ([0-9.eE+-]+)$");
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String last = "";
    while (System.nanoTime() < deadline) {
      try {
        last =
            http.send(
                    HttpRequest.newBuilder(URI.create(url)).build(),
                    HttpResponse.BodyHandlers.ofString())
                .body();
        Matcher m = sample.matcher(last);
        if (m.find() && until.test(Double.parseDouble(m.group(1)))) {
          return Double.parseDouble(m.group(1));
        }
      } catch (java.io.IOException notUpYet) {
        // the exporter is still starting
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "no sample of " + series + " as expected from " + url + ":\n" + grep(last) + log());
  }

  private static String grep(String metrics) {
    StringBuilder out = new StringBuilder();
    for (String line : metrics.split("\n")) {
      if (line.startsWith("pg_replication") || line.startsWith("pg_exporter_last_scrape_error")) {
        out.append(line).append('\n');
      }
    }
    return out.toString();
  }

  private String log() {
    StringBuilder out = new StringBuilder();
    for (String name : List.of("exporter-p.log", "exporter-s.log")) {
      try {
        out.append(name).append(":\n").append(Files.readString(dir.resolve(name)));
      } catch (java.io.IOException e) {
        out.append("(no ").append(name).append(")\n");
      }
    }
    return out.toString();
  }
}
