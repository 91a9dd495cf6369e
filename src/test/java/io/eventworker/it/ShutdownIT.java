package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** SIGTERM under full load: stop claiming, finish the batches in hand, exit 0 within 10 s. */
@Tag("process")
class ShutdownIT {

  private static final int EVENTS = 300_000;
  private static final int INVALID_EVERY = 99;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void sigtermDrainsTheBatchesInHandAndExitsZero() throws Exception {
    Fixtures.insertMixed(db, EVENTS, INVALID_EVERY);
    WorkerProcess worker = WorkerProcess.run("sigterm", db.env());
    while (db.queryLong("SELECT count(*) FROM events WHERE status <> 'pending'") < 3_000) {
      assertTrue(worker.isAlive(), worker.output());
      Thread.sleep(5);
    }
    long signalled = System.nanoTime();
    worker.terminate();
    assertEquals(0, worker.awaitExit(Duration.ofSeconds(10)), worker.output());
    double seconds = (System.nanoTime() - signalled) / 1e9;
    System.out.printf("[sigterm] exited 0 %.2f s after SIGTERM%n", seconds);
    assertTrue(worker.output().contains("all batches finished"), worker.output());

    // Nothing half-done: processed events have their rows, the rest are untouched and pending.
    long pending = db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'");
    assertTrue(pending > 0, "stopped claiming before the queue was empty");
    assertEquals(
        0, db.queryLong("SELECT count(*) FROM events WHERE status = 'pending' AND attempts > 0"));
    Fixtures.assertNothingHalfDone(db);

    try (WorkerProcess again = WorkerProcess.run("sigterm-restart", db.env())) {
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > 0) {
        assertTrue(again.isAlive(), again.output());
        Thread.sleep(20);
      }
      again.terminate();
      assertEquals(0, again.awaitExit(Duration.ofSeconds(10)));
    }
    Fixtures.assertExactlyOnce(db, EVENTS, INVALID_EVERY);
  }
}
