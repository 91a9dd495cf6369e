package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.testing.Fixtures;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Eight workers on one queue, with a producer still inserting: nothing twice, nothing left. */
@Tag("database")
class ConcurrentWorkersTest {

  private static final int EVENTS = 10_000;
  private static final int INVALID_EVERY = 100;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void eightWorkersShareTheQueueWithoutDuplicatesOrLosses() throws Exception {
    // The first half is waiting when the workers start; the second arrives while they run.
    Fixtures.insertMixed(db, 1, EVENTS / 2, INVALID_EVERY);

    AtomicLong processed = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    WorkerMetrics counting =
        new WorkerMetrics() {
          @Override
          public void processed(String type, Duration latency) {
            processed.incrementAndGet();
          }

          @Override
          public void failed(String type, long count) {
            failed.addAndGet(count);
          }
        };
    List<RunningWorker> workers = new ArrayList<>();
    try {
      for (int i = 0; i < 8; i++) {
        workers.add(
            RunningWorker.start(
                db.config(
                    "WORKER_THREADS",
                    "2",
                    "DB_POOL_SIZE",
                    "3",
                    "BATCH_SIZE",
                    "50",
                    "POLL_INTERVAL",
                    "100ms"),
                Handlers.discover(),
                counting));
      }
      // The producer's second half, in small inserts while the workers are busy.
      for (int from = EVENTS / 2 + 1; from <= EVENTS; from += 250) {
        Fixtures.insertMixed(db, from, from + 249, INVALID_EVERY);
      }
      await()
          .atMost(Duration.ofSeconds(120))
          .pollInterval(Duration.ofMillis(100))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
    } finally {
      workers.forEach(RunningWorker::close);
    }

    Fixtures.assertExactlyOnce(db, EVENTS, INVALID_EVERY);
    Fixtures.Expected expected = Fixtures.expected(EVENTS, INVALID_EVERY);
    assertEquals(
        0,
        db.queryLong("SELECT count(*) FROM events WHERE attempts <> 1"),
        "every event handled in exactly one attempt");
    assertEquals(
        expected.entries() + expected.metrics(),
        processed.get(),
        "processed as counted by the workers");
    assertEquals(expected.invalid(), failed.get(), "failed as counted by the workers");
  }
}
