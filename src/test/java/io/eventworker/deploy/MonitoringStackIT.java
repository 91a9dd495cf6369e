package io.eventworker.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.eventworker.testing.PostgresServer;
import io.eventworker.testing.Programs;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The monitoring path end to end, on localhost: the real postgres_exporter (with the custom
 * queries) and a running worker, scraped by a real Prometheus using deploy/prometheus with only its
 * targets and intervals changed. Prometheus must see pg_up = 1, the worker's queue depth with the
 * right value, its readiness, the last backups, and load every alert rule healthy; and it finds the
 * Alertmanager of deploy/alertmanager to send its alerts to.
 */
@Tag("deploy")
class MonitoringStackIT {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();
  @TempDir Path dir;

  private final List<Process> started = new ArrayList<>();
  private final HttpClient http = HttpClient.newHttpClient();
  private final ObjectMapper json = new ObjectMapper();

  @AfterEach
  void stopEverything() throws Exception {
    for (Process p : started) {
      p.destroy();
      p.waitFor();
    }
  }

  @Test
  void prometheusSeesThePostgresAndWorkerSeries() throws Exception {
    // Three events of a type no handler takes stay pending: a known queue depth.
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('invoice', '{}'), ('invoice', '{}'),"
            + " ('invoice', '{}'), ('metric', '{\"name\":\"m\",\"value\":1}')");
    // Due for an hour: an age the exporter's query cannot report without reading it.
    db.execute("UPDATE events SET run_at = now() - interval '1 hour' WHERE event_type = 'invoice'");
    db.execute(Files.readString(Path.of("deploy/backup/backup-log.sql")));
    db.execute(
        "INSERT INTO backup.runs (finished_at, file, bytes) VALUES ('2026-01-02T03:04:05Z',"
            + " 'test.dump', 1)",
        "INSERT INTO backup.runs (finished_at, file, bytes, kind) VALUES ('2026-01-02T03:34:05Z',"
            + " 'base-x', 1, 'base')");

    PostgresServer server = PostgresServer.get();
    int exporterPort = WorkerProcess.freePort();
    String dsn =
        "postgresql://"
            + server.user()
            + (server.password() == null ? "" : ":" + server.password())
            + "@"
            + server.host()
            + ":"
            + server.port()
            + "/"
            + db.name()
            + "?sslmode=disable";
    started.add(
        Programs.start(
            Map.of("DATA_SOURCE_NAME", dsn),
            dir.resolve("exporter.log"),
            Programs.require("prometheus-postgres-exporter", "postgres_exporter"),
            "--web.listen-address=127.0.0.1:" + exporterPort,
            "--extend.query-path="
                + Path.of("deploy/prometheus/postgres-exporter-queries.yml").toAbsolutePath()));

    int alertmanagerPort = WorkerProcess.freePort();
    started.add(
        AlertmanagerIT.start(
            alertmanagerPort, dir.resolve("alertmanager"), dir.resolve("alertmanager.log")));

    WorkerProcess worker =
        WorkerProcess.run("monitored", db.env("QUEUE_METRICS_INTERVAL", "500ms"));
    try {
      worker.awaitReady(Duration.ofSeconds(30));
      int prometheusPort = WorkerProcess.freePort();
      Path config = dir.resolve("prometheus.yml");
      Files.writeString(
          config,
          Files.readString(Path.of("deploy/prometheus/prometheus.yml"))
              .replace("worker:8080", "127.0.0.1:" + worker.httpPort())
              .replace("postgres-exporter:9187", "127.0.0.1:" + exporterPort)
              .replace("alertmanager:9093", "127.0.0.1:" + alertmanagerPort)
              .replace("localhost:9090", "127.0.0.1:" + prometheusPort)
              .replace("15s", "1s")
              .replace(
                  "- alerts.yml", "- " + Path.of("deploy/prometheus/alerts.yml").toAbsolutePath()));
      started.add(
          Programs.start(
              Map.of(),
              dir.resolve("prometheus.log"),
              Programs.require("prometheus"),
              "--config.file=" + config,
              "--storage.tsdb.path=" + dir.resolve("tsdb"),
              "--web.listen-address=127.0.0.1:" + prometheusPort));

      String api = "http://127.0.0.1:" + prometheusPort + "/api/v1/";
      assertEquals(1.0, awaitValue(api, "pg_up"), log("exporter.log"));
      assertEquals(
          3.0, awaitValue(api, "eventworker_queue_depth{status=\"pending\",type=\"invoice\"}"));
      assertEquals(1.0, awaitValue(api, "eventworker_ready"));
      assertEquals(1.0, awaitValue(api, "up{job=\"event-worker\"}"));
      assertEquals(
          1.0, awaitValue(api, "eventworker_events_total{result=\"processed\",type=\"metric\"}"));
      assertEquals(
          1767323045.0, awaitValue(api, "backup_last_success_timestamp_seconds{kind=\"dump\"}"));
      assertEquals(
          1767324845.0, awaitValue(api, "backup_last_success_timestamp_seconds{kind=\"base\"}"));
      assertTrue(awaitValue(api, "pg_settings_max_connections") >= 10);
      // The queue as the exporter sees it, for when no worker runs; and every custom query works.
      assertEquals(
          3.0,
          awaitValue(api, "event_queue_depth{status=\"pending\",type=\"invoice\"}"),
          log("exporter.log"));
      double oldestDue = awaitValue(api, "event_queue_oldest_due_age_seconds{type=\"invoice\"}");
      assertTrue(oldestDue >= 3600 && oldestDue < 3600 + 600, "due for an hour: " + oldestDue);
      assertEquals(0.0, awaitValue(api, "pg_exporter_last_scrape_error"), log("exporter.log"));
      assertEquals(1.0, awaitValue(api, "up{job=\"alertmanager\"}"), log("alertmanager.log"));
      // Found apart from the scrape targets: wait for it as for a sample.
      await()
          .atMost(Duration.ofSeconds(60))
          .untilAsserted(
              () ->
                  assertEquals(
                      "http://127.0.0.1:" + alertmanagerPort + "/api/v2/alerts",
                      get(api + "alertmanagers").at("/data/activeAlertmanagers/0/url").asText(),
                      "Prometheus sends its alerts there"));

      JsonNode rules = get(api + "rules");
      int alerting = 0;
      for (JsonNode group : rules.at("/data/groups")) {
        for (JsonNode rule : group.get("rules")) {
          assertEquals("ok", rule.get("health").asText(), rule.toString());
          alerting += rule.get("type").asText().equals("alerting") ? 1 : 0;
        }
      }
      assertTrue(alerting >= 11, "alert rules loaded: " + alerting);
      for (JsonNode alert : get(api + "alerts").at("/data/alerts")) {
        String name = alert.at("/labels/alertname").asText();
        assertTrue(
            !name.equals("PostgresDown") && !name.equals("EventWorkerDown"), alert.toString());
      }
    } finally {
      worker.close();
    }
  }

  /** Polls an instant query until it returns one sample; returns its value. */
  private double awaitValue(String api, String query) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    JsonNode last = null;
    while (System.nanoTime() < deadline) {
      try {
        last = get(api + "query?query=" + URLEncoder.encode(query, StandardCharsets.UTF_8));
        JsonNode result = last.at("/data/result");
        if (result.size() == 1) {
          return Double.parseDouble(result.get(0).at("/value/1").asText());
        }
      } catch (java.io.IOException notUpYet) {
        // Prometheus is still starting.
      }
      Thread.sleep(250);
    }
    throw new AssertionError(
        "no single sample for " + query + ": " + last + "\n" + log("prometheus.log"));
  }

  private JsonNode get(String url) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
    return json.readTree(r.body());
  }

  private String log(String name) {
    try {
      return Files.readString(dir.resolve(name));
    } catch (Exception e) {
      return "(no " + name + ")";
    }
  }
}
