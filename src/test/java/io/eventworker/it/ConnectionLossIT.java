package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The worker's connections cut by pg_terminate_backend mid-run: it reconnects and finishes. */
@Tag("process")
class ConnectionLossIT {

  private static final int EVENTS = 200_000;
  private static final int INVALID_EVERY = 99;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void recoversFromTerminatedConnectionsAndFinishes() throws Exception {
    Fixtures.insertMixed(db, EVENTS, INVALID_EVERY);
    try (WorkerProcess worker =
        WorkerProcess.run("terminate", db.env("BATCH_SIZE", "50", "DB_RETRY_BACKOFF", "50ms"))) {
      worker.awaitReady(Duration.ofSeconds(30));
      long terminated = 0;
      int rounds = 0;
      // Cut every connection of the worker every 100 ms while it works through the queue.
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > EVENTS / 10
          && rounds < 8) {
        terminated +=
            db.queryLong(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE"
                    + " datname = current_database() AND application_name = 'event-worker') t");
        rounds++;
        Thread.sleep(100);
      }
      System.out.printf("[terminate] %d connections terminated in %d rounds%n", terminated, rounds);
      assertTrue(
          rounds >= 3 && terminated >= 3 * 3,
          "terminated " + terminated + " in " + rounds + " rounds");

      long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > 0) {
        assertTrue(worker.isAlive(), "the worker died:\n" + worker.output());
        assertTrue(System.nanoTime() < deadline, "did not finish:\n" + worker.output());
        Thread.sleep(50);
      }
      assertEquals(200, worker.get("/health/ready").status());
      Matcher retries =
          Pattern.compile("eventworker_database_retries_total ([0-9.]+)")
              .matcher(worker.get("/metrics").body());
      assertTrue(
          retries.find() && Double.parseDouble(retries.group(1)) > 0,
          "the cut connections showed as retried database errors");
      System.out.printf("[terminate] %s database errors retried%n", retries.group(1));
      worker.terminate();
      assertEquals(0, worker.awaitExit(Duration.ofSeconds(10)), worker.output());
    }
    Fixtures.assertExactlyOnce(db, EVENTS, INVALID_EVERY);
  }
}
