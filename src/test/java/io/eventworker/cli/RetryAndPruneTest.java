package io.eventworker.cli;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.queue.EventMaintenance;
import io.eventworker.testing.Cli;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerThreads;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The operator commands for failed and old events. */
@Tag("database")
class RetryAndPruneTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  /** Failed events as the worker leaves them: attempts counted, error and failure time kept. */
  private void insertFailed(String type, int count, String failedAgo) throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data, status, attempts, last_error, processed_at)"
            + " SELECT '"
            + type
            + "', jsonb_build_object('name', 'n' || g, 'value', g), 'failed', 5, 'downstream was"
            + " down', LOCALTIMESTAMP - interval '"
            + failedAgo
            + "' FROM generate_series(1, "
            + count
            + ") g");
  }

  /** Processed metric events, created and processed {@code ago} (an SQL interval). */
  private void insertProcessed(int count, String ago) throws Exception {
    String at = "LOCALTIMESTAMP - interval '" + ago + "'";
    db.execute(
        "INSERT INTO events (event_type, data, status, created_at, processed_at)"
            + " SELECT 'metric', '{}', 'processed', "
            + at
            + ", "
            + at
            + " FROM generate_series(1, "
            + count
            + ")");
  }

  @Test
  void retryMovesTheChosenFailedEventsBackToPending() throws Exception {
    insertFailed("metric", 30, "3 hours");
    insertFailed("metric", 20, "10 minutes");
    insertFailed("data_entry", 10, "10 minutes");

    Cli.Result recent = Cli.run(db.env(), "retry", "--type", "metric", "--since", "1h");
    assertEquals(0, recent.status(), recent.toString());
    assertEquals("moved 20 failed events back to pending\n", recent.out());
    assertEquals(
        20,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'pending' AND event_type = 'metric' AND"
                + " attempts = 0 AND processed_at IS NULL AND run_at <= now() AND last_error ="
                + " 'downstream was down'"));

    Cli.Result byId = Cli.run(db.env(), "retry", "--id", "1,2", "--id", "3");
    assertEquals("moved 3 failed events back to pending\n", byId.out());

    Cli.Result byDate = Cli.run(db.env(), "retry", "--since", "2000-01-01");
    assertEquals("moved 37 failed events back to pending\n", byDate.out());
    assertEquals(0, db.queryLong("SELECT count(*) FROM events WHERE status = 'failed'"));
    assertEquals(
        "moved 0 failed events back to pending\n", Cli.run(db.env(), "retry", "--all").out());
  }

  @Test
  void retryWalksTheFailedEventsOnceEvenWhenTheyFailAgainBetweenSteps() throws Exception {
    insertFailed("metric", 25, "1 minute");
    EventMaintenance maintenance = new EventMaintenance();
    List<Integer> steps = new ArrayList<>();
    try (Connection c = db.connect()) {
      long upTo = maintenance.lastEventId(c);
      insertFailed("metric", 5, "1 minute"); // fails after the retry started: not its to move
      EventMaintenance.RetryStep step = new EventMaintenance.RetryStep(0, 0);
      do {
        step = maintenance.retryFailed(c, null, null, null, step.lastId(), upTo, 10);
        steps.add(step.moved());
        // A running worker fails what was moved again at once, as it does with a bad payload.
        db.execute(
            "UPDATE events SET status = 'failed', attempts = 1, processed_at = LOCALTIMESTAMP WHERE"
                + " status = 'pending'");
      } while (step.moved() > 0 && step.lastId() < upTo);
    }
    assertEquals(List.of(10, 10, 5), steps);
    assertEquals(30, db.queryLong("SELECT count(*) FROM events WHERE status = 'failed'"));
    assertEquals(25, db.queryLong("SELECT count(*) FROM events WHERE attempts = 1"));
  }

  @Test
  void retriedEventsAreProcessedByARunningWorker() throws Exception {
    insertFailed("metric", 40, "1 minute");
    try (RunningWorker worker =
        RunningWorker.start(db.config("WORKER_THREADS", "1", "POLL_INTERVAL", "1h"))) {
      WorkerThreads.awaitIdle(1);
      assertEquals(
          "moved 40 failed events back to pending\n", Cli.run(db.env(), "retry", "--all").out());
      // Woken by the command's notification, not by the hour-long poll.
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> db.queryLong("SELECT count(*) FROM metrics") == 40);
    }
    assertEquals(
        40,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
  }

  @Test
  void retryRefusesBadArgumentsAndTouchesNothing() throws Exception {
    insertFailed("metric", 5, "1 minute");
    for (String[] args :
        new String[][] {
          {"retry"},
          {"retry", "--all", "--type", "metric"},
          {"retry", "--since", "last tuesday"},
          {"retry", "--type", ""},
          {"retry", "--id", "x"}
        }) {
      Cli.Result result = Cli.run(db.env(), args);
      assertEquals(2, result.status(), String.join(" ", args) + ": " + result);
      assertFalse(result.err().isBlank(), result.toString());
    }
    assertTrue(
        Cli.run(db.env(), "retry")
            .err()
            .contains("choose which failed events: --id, --type, --since, or --all"));
    assertTrue(
        Cli.run(db.env(), "retry", "--since", "last tuesday")
            .err()
            .contains("--since=last tuesday: expected a duration"));
    assertEquals(5, db.queryLong("SELECT count(*) FROM events WHERE status = 'failed'"));
  }

  @Test
  void pruneDeletesOnlyProcessedEventsOlderThanTheAge() throws Exception {
    String old = "LOCALTIMESTAMP - interval '10 days'";
    insertProcessed(3500, "10 days");
    insertProcessed(500, "1 day");
    db.execute(
        "INSERT INTO events (event_type, data, status, created_at, processed_at, last_error)"
            + " SELECT 'metric', '{}', 'failed', "
            + old
            + ", "
            + old
            + ", 'bad' FROM generate_series(1, 200)");
    db.execute(
        "INSERT INTO events (event_type, data, created_at) SELECT 'invoice', '{}', "
            + old
            + " FROM generate_series(1, 100)");

    Cli.Result result = Cli.run(db.env(), "prune", "--older-than", "7d");
    assertEquals(0, result.status(), result.toString());
    assertEquals("deleted 3500 processed events older than 7d\n", result.out());
    assertEquals(800, db.queryLong("SELECT count(*) FROM events"));
    assertEquals(500, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"));
    assertEquals(
        "deleted 0 processed events older than 7d\n",
        Cli.run(db.env(), "prune", "--older-than", "7d").out());
  }

  @Test
  void pruneRefusesBadArgumentsAndTouchesNothing() throws Exception {
    insertProcessed(10, "10 days");
    for (String[] args :
        new String[][] {
          {"prune"}, {"prune", "--older-than", "5m"}, {"prune", "--older-than", "a week"}
        }) {
      Cli.Result result = Cli.run(db.env(), args);
      assertEquals(2, result.status(), String.join(" ", args) + ": " + result);
    }
    assertTrue(
        Cli.run(db.env(), "prune", "--older-than", "5m")
            .err()
            .contains("expected a duration of at least 1h"));
    assertEquals(10, db.queryLong("SELECT count(*) FROM events"));
  }

  @Test
  void theDaemonPrunesWhenRetentionIsSet() throws Exception {
    insertProcessed(2500, "3 hours");
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('metric',"
            + " '{\"name\":\"fresh\",\"value\":1}')");
    try (RunningWorker worker = RunningWorker.start(db.config("RETENTION", "1h"))) {
      await()
          .atMost(Duration.ofSeconds(15))
          .until(() -> db.queryLong("SELECT count(*) FROM events") == 1);
    }
    assertEquals(1, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"));
  }
}
