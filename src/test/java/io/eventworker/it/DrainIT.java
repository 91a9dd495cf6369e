package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.Jar;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The acceptance run: 20,000 mixed events, 1% invalid, loaded by {@code enqueue --file} into a
 * database made by init.sql plus {@code migrate}, drained by one {@code run} within a minute.
 */
@Tag("process")
class DrainIT {

  private static final int EVENTS = 20_000;
  private static final int INVALID_EVERY = 99;

  @RegisterExtension final TestDatabase db = TestDatabase.initSqlOnly();

  @Test
  void drainsTwentyThousandEventsWithinAMinute() throws Exception {
    Jar.run(db.env(), "migrate");
    Path file = Files.createTempFile("events", ".ndjson");
    Fixtures.writeMixed(file, EVENTS, INVALID_EVERY);
    String loaded = Jar.run(db.env(), "enqueue", "--file", file.toString());
    assertTrue(loaded.contains("stored " + EVENTS + " events"), loaded);
    Files.delete(file);

    try (WorkerProcess worker = WorkerProcess.run("drain", db.env())) {
      long started = System.nanoTime();
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > 0) {
        assertTrue(
            System.nanoTime() - started < Duration.ofSeconds(60).toNanos(),
            "not drained within a minute:\n" + worker.output());
        Thread.sleep(20);
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      double busy =
          db.queryLong(
                  "SELECT (extract(epoch FROM max(processed_at) - min(processed_at)) *"
                      + " 1000)::bigint FROM events")
              / 1000.0;
      System.out.printf(
          "[drain] %d events drained %.1f s after `run` started (%.0f events/s including JVM"
              + " start-up); first to last processed %.2f s (%.0f events/s)%n",
          EVENTS, seconds, EVENTS / seconds, busy, EVENTS / busy);

      Fixtures.assertExactlyOnce(db, EVENTS, INVALID_EVERY);
      assertEquals(200, worker.get("/health/ready").status());
      // The queue gauges refresh every QUEUE_METRICS_INTERVAL (5 s): wait for one after the drain.
      String metrics = worker.get("/metrics").body();
      long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
      while (!metrics.contains(
              "eventworker_queue_depth{status=\"failed\",type=\"data_entry\"} 101.0")
          && System.nanoTime() < deadline) {
        Thread.sleep(200);
        metrics = worker.get("/metrics").body();
      }
      for (String series :
          List.of(
              "eventworker_events_total{result=\"processed\",type=\"data_entry\"}",
              "eventworker_events_total{result=\"processed\",type=\"metric\"}",
              "eventworker_events_total{result=\"failed\",type=\"metric\"}",
              "eventworker_event_latency_seconds_bucket{type=\"metric\",le=",
              "eventworker_handler_duration_seconds_bucket{type=\"data_entry\",le=",
              "eventworker_batch_duration_seconds_bucket{le=",
              "eventworker_queue_depth{status=\"failed\",type=\"data_entry\"} 101.0",
              "eventworker_queue_depth{status=\"pending\",type=\"metric\"} 0.0",
              "eventworker_queue_oldest_pending_age_seconds{type=",
              "hikaricp_connections_active{pool=\"event-worker\"}",
              "eventworker_ready 1",
              "eventworker_handler_info{type=\"metric\"} 1",
              "jvm_memory_used_bytes{",
              "process_cpu_usage")) {
        assertTrue(metrics.contains(series), "/metrics lacks " + series);
      }
      worker.terminate();
      assertEquals(0, worker.awaitExit(Duration.ofSeconds(10)), worker.output());
    }
  }
}
