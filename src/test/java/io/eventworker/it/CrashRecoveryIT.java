package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** A worker killed with SIGKILL in the middle of its batches, then restarted. */
@Tag("process")
class CrashRecoveryIT {

  private static final int EVENTS = 150_000;
  private static final int INVALID_EVERY = 99;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void killNineLosesNothingAndDuplicatesNothing() throws Exception {
    Fixtures.insertMixed(db, EVENTS, INVALID_EVERY);
    // Smaller batches and more threads: more transactions in flight when the kill lands.
    var env = db.env("BATCH_SIZE", "50", "WORKER_THREADS", "4");
    int kills = 0;
    for (long killAt : new long[] {10_000, 50_000, 90_000}) {
      WorkerProcess worker = WorkerProcess.run("crash-" + kills, env);
      awaitDone(killAt, Duration.ofSeconds(60));
      worker.kill();
      kills++;
      Fixtures.assertNothingHalfDone(db);
    }
    System.out.printf("[crash] killed the worker %d times with SIGKILL mid-run%n", kills);
    try (WorkerProcess worker = WorkerProcess.run("crash-final", env)) {
      awaitDone(EVENTS, Duration.ofSeconds(120));
      worker.terminate();
      assertEquals(0, worker.awaitExit(Duration.ofSeconds(10)));
    }
    Fixtures.assertExactlyOnce(db, EVENTS, INVALID_EVERY);
    // A batch cut off by the kill rolled back whole: no attempt was counted for it.
    assertEquals(0, db.queryLong("SELECT count(*) FROM events WHERE attempts <> 1"));
  }

  private void awaitDone(long atLeast, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (db.queryLong("SELECT count(*) FROM events WHERE status <> 'pending'") < atLeast) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("fewer than " + atLeast + " events done in " + timeout);
      }
      Thread.sleep(10);
    }
  }
}
