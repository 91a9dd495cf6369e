package io.eventworker.metrics;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.db.ConnectionPool;
import io.eventworker.queue.QueueReports;
import io.eventworker.testing.Fixtures;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("database")
class HttpEndpointTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void metricsShowThroughputLatencyQueueDepthAndPool() throws Exception {
    Fixtures.insertMixed(db, 300, 15);
    db.execute("INSERT INTO events (event_type, data) VALUES ('invoice', '{}'), ('invoice', '{}')");
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    try (RunningWorker worker =
            RunningWorker.start(
                db.config("WORKER_THREADS", "2"), new MicrometerWorkerMetrics(registry), registry);
        QueueGauges gauges =
            new QueueGauges(
                registry,
                worker.pool(),
                new QueueReports(),
                Set.of("metric", "data_entry")::contains);
        HttpEndpoint endpoint =
            new HttpEndpoint("127.0.0.1", 0, registry, () -> null, () -> null).start()) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 2);
      // Old but not due: neither this nor the unhandled invoices make the handled types' age.
      db.execute(
          "INSERT INTO events (event_type, data, created_at, run_at) VALUES ('metric', '{}',"
              + " LOCALTIMESTAMP - interval '1 day', now() + interval '1 hour')",
          "UPDATE events SET run_at = now() - interval '1 hour' WHERE event_type = 'invoice'");
      gauges.refresh();

      HttpResponse<String> metrics = get(endpoint, "/metrics");
      assertEquals(200, metrics.statusCode());
      assertTrue(metrics.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
      String body = metrics.body();
      // 300 events: 150 data entries and 150 metrics; every 15th is invalid, 10 of each type.
      assertLine(body, "eventworker_events_total{result=\"processed\",type=\"data_entry\"} 140.0");
      assertLine(body, "eventworker_events_total{result=\"processed\",type=\"metric\"} 140.0");
      assertLine(body, "eventworker_events_total{result=\"failed\",type=\"metric\"} 10.0");
      assertLine(body, "eventworker_events_total{result=\"failed\",type=\"data_entry\"} 10.0");
      assertLine(body, "eventworker_event_latency_seconds_count{type=\"metric\"} 140");
      assertContains(body, "eventworker_event_latency_seconds_bucket{type=\"data_entry\",le=\"");
      assertContains(body, "eventworker_handler_duration_seconds_bucket{type=\"metric\",le=\"");
      assertContains(body, "eventworker_batch_duration_seconds_count ");
      assertLine(body, "eventworker_queue_depth{status=\"pending\",type=\"invoice\"} 2.0");
      assertLine(body, "eventworker_queue_depth{status=\"failed\",type=\"data_entry\"} 10.0");
      assertLine(body, "eventworker_queue_scheduled{type=\"metric\"} 1.0");
      assertLine(body, "eventworker_queue_depth{status=\"pending\",type=\"metric\"} 1.0");
      assertLine(body, "eventworker_queue_oldest_pending_age_seconds{type=\"metric\"} 0.0");
      assertContains(body, "eventworker_queue_unhandled_oldest_age_seconds{type=\"invoice\"} 360");
      assertFalse(
          body.contains("eventworker_queue_oldest_pending_age_seconds{type=\"invoice\"}"), body);
      assertContains(body, "hikaricp_connections{pool=\"event-worker\"}");
      assertContains(body, "jvm_memory_used_bytes{");

      // Once the unhandled events are gone, their gauge reads 0 rather than a stale count.
      db.execute("DELETE FROM events WHERE event_type = 'invoice'");
      gauges.refresh();
      assertLine(
          get(endpoint, "/metrics").body(),
          "eventworker_queue_depth{status=\"pending\",type=\"invoice\"} 0.0");
    }
  }

  @Test
  void tableHealthShowsDeadRowsAndTheOldestOpenTransaction() throws Exception {
    Fixtures.insertMixed(db, 1_000, 0);
    db.execute("UPDATE events SET attempts = attempts"); // 1,000 dead row versions
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Connection report = db.connect();
        var pool = ConnectionPool.create(db.config(), null, ConnectionPool.Use.DAEMON);
        QueueGauges gauges = new QueueGauges(registry, pool, new QueueReports(), type -> true)) {
      report.setAutoCommit(false);
      report.createStatement().executeQuery("SELECT count(*) FROM users").close();
      // What the gauges read, seen first in the database: the report's transaction open for a
      // second, and the dead row versions counted in pg_stat.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  db.queryLong(
                          "SELECT count(*) FROM pg_stat_user_tables WHERE relid ="
                              + " 'events'::regclass AND n_dead_tup >= 1000 AND n_live_tup >= 1000"
                              + " AND event_worker_oldest_transaction_age() >= 1")
                      == 1);
      gauges.refresh();
      String body = registry.scrape();
      double age = value(body, "eventworker_oldest_transaction_age_seconds");
      assertTrue(age >= 1.0, "the open transaction's age: " + age);
      assertTrue(value(body, "eventworker_events_table_rows{state=\"dead\"}") >= 1_000, body);
      assertTrue(value(body, "eventworker_events_table_rows{state=\"live\"}") >= 1_000, body);
      report.rollback();
    }
  }

  private static double value(String body, String series) {
    return body.lines()
        .filter(l -> l.startsWith(series + " "))
        .mapToDouble(l -> Double.parseDouble(l.substring(series.length() + 1)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + series));
  }

  @Test
  void healthAnswers200Or503WithTheReason() throws Exception {
    AtomicReference<String> readiness = new AtomicReference<>();
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (HttpEndpoint endpoint =
        new HttpEndpoint("127.0.0.1", 0, registry, () -> null, readiness::get).start()) {
      assertEquals(200, get(endpoint, "/health/live").statusCode());
      assertEquals(200, get(endpoint, "/health/ready").statusCode());
      readiness.set("database: Connection refused");
      HttpResponse<String> down = get(endpoint, "/health/ready");
      assertEquals(503, down.statusCode());
      assertEquals(
          "{\"status\":\"DOWN\",\"reason\":\"database: Connection refused\"}\n", down.body());
      String awkward = "database: relation \"events\"\n\tdoes not exist \\ ü \u0001";
      readiness.set(awkward);
      assertEquals(
          awkward,
          io.eventworker.json.Json.MAPPER
              .readTree(get(endpoint, "/health/ready").body())
              .get("reason")
              .asText());
      assertEquals(200, get(endpoint, "/health/live").statusCode());
    }
  }

  @Test
  void listensOnlyOnTheConfiguredAddress() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (HttpEndpoint endpoint =
        new HttpEndpoint("127.0.0.1", 0, registry, () -> null, () -> null).start()) {
      // /proc/net/tcp and tcp6: sockets listening (state 0A) on the port, by local address.
      // 127.0.0.1 is 0100007F, or 0000000000000000FFFF00000100007F on a dual-stack socket.
      String port = String.format(":%04X ", endpoint.port());
      String sockets =
          Files.readString(Path.of("/proc/net/tcp")) + Files.readString(Path.of("/proc/net/tcp6"));
      List<String> listening =
          sockets
              .lines()
              .map(l -> l.trim().split("\\s+"))
              .filter(f -> f.length > 3 && f[1].endsWith(port.trim()) && f[3].equals("0A"))
              .map(f -> f[1])
              .toList();
      assertFalse(listening.isEmpty(), sockets);
      assertTrue(
          listening.stream()
              .allMatch(
                  a ->
                      a.startsWith("0100007F:")
                          || a.startsWith("0000000000000000FFFF00000100007F:")),
          "listens only on 127.0.0.1: " + listening);
    }
  }

  @Test
  void onlyReadsAreServed() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (HttpEndpoint endpoint =
        new HttpEndpoint("127.0.0.1", 0, registry, () -> null, () -> null).start()) {
      HttpResponse<String> post =
          http.send(
              HttpRequest.newBuilder(uri(endpoint, "/metrics"))
                  .POST(HttpRequest.BodyPublishers.ofString("x"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(405, post.statusCode());
      assertEquals("GET, HEAD", post.headers().firstValue("Allow").orElse(""));
      // Without a console, / is as unknown as any other path.
      for (String action :
          new String[] {"/admin", "/retry", "/prune", "/events", "/shutdown", "/health", "/"}) {
        assertEquals(404, get(endpoint, action).statusCode(), action);
      }
      for (String method : new String[] {"PUT", "DELETE", "PATCH"}) {
        for (String path : new String[] {"/metrics", "/health/live", "/health/ready"}) {
          assertEquals(
              405,
              http.send(
                      HttpRequest.newBuilder(uri(endpoint, path))
                          .method(method, HttpRequest.BodyPublishers.noBody())
                          .build(),
                      HttpResponse.BodyHandlers.ofString())
                  .statusCode(),
              method + " " + path);
        }
      }
      assertEquals(404, get(endpoint, "/metrics/extra").statusCode());
      HttpResponse<String> head =
          http.send(
              HttpRequest.newBuilder(uri(endpoint, "/health/live"))
                  .method("HEAD", HttpRequest.BodyPublishers.noBody())
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(200, head.statusCode());
      assertEquals("", head.body());
    }
  }

  @Test
  void theConsoleIsServedAtTheRootToGetAndHeadOnly() throws Exception {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    java.util.concurrent.atomic.AtomicInteger rendered =
        new java.util.concurrent.atomic.AtomicInteger();
    try (HttpEndpoint endpoint =
        new HttpEndpoint("127.0.0.1", 0, registry, () -> null, () -> null)
            .withConsole(
                () -> {
                  rendered.incrementAndGet();
                  return new HttpEndpoint.Reply(200, "text/html; charset=utf-8", "<p>queue</p>");
                })
            .start()) {
      HttpResponse<String> page = get(endpoint, "/");
      assertEquals(200, page.statusCode());
      assertEquals("<p>queue</p>", page.body());
      assertEquals(
          "text/html; charset=utf-8", page.headers().firstValue("Content-Type").orElse(""));
      String policy = page.headers().firstValue("Content-Security-Policy").orElse("");
      assertTrue(policy.startsWith("default-src 'none';") && !policy.contains("script"), policy);
      assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
      assertEquals(
          "",
          http.send(
                  HttpRequest.newBuilder(uri(endpoint, "/"))
                      .method("HEAD", HttpRequest.BodyPublishers.noBody())
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body());
      assertEquals(2, rendered.get());
      for (String method : new String[] {"POST", "PUT", "DELETE", "PATCH", "OPTIONS"}) {
        HttpResponse<String> refused =
            http.send(
                HttpRequest.newBuilder(uri(endpoint, "/"))
                    .method(method, HttpRequest.BodyPublishers.ofString("retry=all"))
                    .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(405, refused.statusCode(), method);
        assertEquals("GET, HEAD", refused.headers().firstValue("Allow").orElse(""), method);
      }
      assertEquals(2, rendered.get(), "a refused request renders nothing");
      for (String other : new String[] {"/index.html", "/retry", "/events/1"}) {
        assertEquals(404, get(endpoint, other).statusCode(), other);
      }
      assertEquals(200, get(endpoint, "/health/live").statusCode());
    }
  }

  private HttpResponse<String> get(HttpEndpoint endpoint, String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(uri(endpoint, path)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static URI uri(HttpEndpoint endpoint, String path) {
    return URI.create("http://127.0.0.1:" + endpoint.port() + path);
  }

  private static void assertLine(String body, String line) {
    assertTrue(
        body.lines().anyMatch(line::equals), "no line '" + line + "' in:\n" + grep(body, line));
  }

  private static void assertContains(String body, String text) {
    assertTrue(body.contains(text), "no '" + text + "' in /metrics");
  }

  private static String grep(String body, String line) {
    String name = line.substring(0, line.indexOf('{') > 0 ? line.indexOf('{') : line.length());
    return String.join("\n", body.lines().filter(l -> l.startsWith(name)).limit(20).toList());
  }
}
