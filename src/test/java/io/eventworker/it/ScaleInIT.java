package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Scale-in in the middle of a drain, as an orchestrator does it: three worker processes share a
 * backlog, two of them get SIGTERM while it is being drained, the third finishes it. Every event is
 * processed or failed exactly once, with exactly its rows.
 */
@Tag("process")
class ScaleInIT {

  private static final int EVENTS = 60_000;
  private static final int INVALID_EVERY = 99;
  private static final Pattern PROCESSED =
      Pattern.compile(
          "^eventworker_events_total\\{result=\"processed\",[^}]*} ([0-9.E+]+)$",
          Pattern.MULTILINE);

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void sigtermToSomeReplicasMidDrainLosesAndDuplicatesNothing() throws Exception {
    // Small batches and two threads each, so that the drain lasts long enough to be cut into.
    Map<String, String> env = db.env("WORKER_THREADS", "2", "BATCH_SIZE", "50");
    List<WorkerProcess> workers = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        workers.add(WorkerProcess.run("scale-in-" + i, env));
      }
      for (WorkerProcess w : workers) {
        w.awaitReady(Duration.ofSeconds(60));
      }
      Fixtures.insertMixed(db, EVENTS, INVALID_EVERY);
      // Wait until the two to be stopped have each committed batches, and the drain is under way.
      while (processed(workers.get(0)) == 0
          || processed(workers.get(1)) == 0
          || db.queryLong("SELECT count(*) FROM events WHERE status <> 'pending'") < 5_000) {
        assertTrue(workers.get(0).isAlive() && workers.get(1).isAlive(), workers.get(0).output());
        Thread.sleep(5);
      }
      workers.get(0).terminate();
      workers.get(1).terminate();
      long pendingAtSignal = db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'");
      assertTrue(pendingAtSignal > 0, "the SIGTERMs came before the backlog was drained");
      for (WorkerProcess stopped : workers.subList(0, 2)) {
        assertEquals(0, stopped.awaitExit(Duration.ofSeconds(15)), stopped.output());
        assertTrue(stopped.output().contains("all batches finished"), stopped.output());
      }
      long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > 0) {
        assertTrue(System.nanoTime() < deadline, "the last worker did not drain the rest");
        assertTrue(workers.get(2).isAlive(), workers.get(2).output());
        Thread.sleep(20);
      }
      System.out.printf(
          "[scale-in] SIGTERM to 2 of 3 workers with %d of %d events pending%n",
          pendingAtSignal, EVENTS);
      Fixtures.assertExactlyOnce(db, EVENTS, INVALID_EVERY);
      assertEquals(
          0,
          db.queryLong("SELECT count(*) FROM events WHERE attempts <> 1"),
          "events tried more than once: a batch was rolled back or claimed twice");
      workers.get(2).terminate();
      assertEquals(0, workers.get(2).awaitExit(Duration.ofSeconds(15)), workers.get(2).output());
    } finally {
      for (WorkerProcess w : workers) {
        w.close();
      }
    }
  }

  /** Events this process has processed, from its /metrics. */
  private static long processed(WorkerProcess worker) {
    Matcher m = PROCESSED.matcher(worker.get("/metrics").body());
    double total = 0;
    while (m.find()) {
      total += Double.parseDouble(m.group(1));
    }
    return (long) total;
  }
}
