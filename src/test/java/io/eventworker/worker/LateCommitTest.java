package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two producers whose transactions commit in the other order than they began: the event of the one
 * that began first is committed after the worker's claim cursor passed its place (run_at is when
 * its transaction began). It must be found at once, not at the next periodic rescan.
 */
@Tag("database")
class LateCommitTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void anEventCommittedAfterTheCursorPassedItsPlaceIsProcessedWithinMilliseconds()
      throws Exception {
    List<Long> waits = new ArrayList<>();
    try (RunningWorker worker =
        RunningWorker.start(db.config("WORKER_THREADS", "2", "POLL_INTERVAL", "5s"))) {
      for (int round = 0; round < 5; round++) {
        try (Connection early = db.connect()) {
          early.setAutoCommit(false);
          early
              .createStatement()
              .execute(
                  "INSERT INTO events (event_type, data) VALUES ('data_entry', '{\"key\":\"early-"
                      + round
                      + "\"}')");
          // A later transaction commits first; the worker takes its event and moves its cursor past
          // it.
          db.execute(
              "INSERT INTO events (event_type, data) VALUES ('data_entry', '{\"key\":\"later-"
                  + round
                  + "\"}')");
          String later = "SELECT count(*) FROM data_entries WHERE key = 'later-" + round + "'";
          await().atMost(Duration.ofSeconds(10)).until(() -> db.queryLong(later) == 1);
          early.commit();
        }
        long committed = System.nanoTime();
        String early = "SELECT count(*) FROM data_entries WHERE key = 'early-" + round + "'";
        await()
            .atMost(Duration.ofSeconds(10))
            .pollInterval(Duration.ofMillis(5))
            .until(() -> db.queryLong(early) == 1);
        waits.add((System.nanoTime() - committed) / 1_000_000);
      }
    }
    // Without rescans as often as they are cheap, these waited for the rescan every 5 s; half of
    // that tells the two apart even on a loaded machine.
    assertTrue(waits.stream().allMatch(ms -> ms < 2_500), "waits in ms: " + waits);
    assertEquals(
        10,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(10, db.queryLong("SELECT count(DISTINCT key) FROM data_entries"));
  }
}
