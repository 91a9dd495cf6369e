package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** POLL_ONLY=true: no LISTEN session on the server, and new events found by polling alone. */
@Tag("database")
class PollOnlyTest {

  private static final String LISTENING =
      "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
          + " AND query = 'LISTEN events_inserted'";

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void aPollOnlyWorkerNeverListensAndStillProcessesNewEvents() throws Exception {
    try (RunningWorker worker =
        RunningWorker.start(
            db.config(
                "POLL_ONLY",
                "true",
                "POLL_INTERVAL",
                "200ms",
                "WORKER_THREADS",
                "2",
                "DB_POOL_SIZE",
                "3"))) {
      // Its claim loops have run (the pool's connections are open) before the events arrive.
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> worker.pool().getHikariPoolMXBean().getTotalConnections() == 3);
      Fixtures.insertMixed(db, 20, 0);
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
      Fixtures.assertExactlyOnce(db, 20, 0);
      assertEquals(0, db.queryLong(LISTENING), "sessions listening");
    }
  }

  @Test
  void byDefaultTheWorkerListens() throws Exception {
    try (RunningWorker worker = RunningWorker.start(db.config("WORKER_THREADS", "2"))) {
      await().atMost(Duration.ofSeconds(15)).until(() -> db.queryLong(LISTENING) == 1);
    }
  }
}
