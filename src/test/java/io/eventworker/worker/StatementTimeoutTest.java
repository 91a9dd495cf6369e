package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.handler.Handlers;
import io.eventworker.handler.RowInsert;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.TestHandler;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A batch whose write runs out of DB_STATEMENT_TIMEOUT because of one event (here a trigger that
 * sleeps on one value) must not be rolled back and tried again whole, forever: its other events
 * are written, and the slow one is charged an attempt each time, retried, then failed.
 */
class StatementTimeoutTest {

  private static final RowInsert SLOW = RowInsert.into("slow").column("s", "text").build();

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void anEventWhoseWriteTimesOutDoesNotHoldItsBatchMates() throws Exception {
    db.execute("CREATE TABLE slow (s text)",
        "CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " IF NEW.s = 'slow' THEN PERFORM pg_sleep(5); END IF; RETURN NEW; END $$",
        "CREATE TRIGGER slow_row BEFORE INSERT ON slow FOR EACH ROW EXECUTE FUNCTION slow_row()");
    StringBuilder values = new StringBuilder();
    for (int i = 1; i <= 40; i++) {
      values.append(i == 1 ? "" : ",").append("('slow', '{\"s\":\"").append(i == 17 ? "slow" : "s-" + i).append("\"}')");
    }
    db.execute("INSERT INTO events (event_type, data) VALUES " + values);
    Handlers handlers = Handlers.of(List.of(TestHandler.of("slow", (event, rows) ->
        rows.insert(SLOW, event.data().get("s").textValue()))));

    try (RunningWorker worker = RunningWorker.start(
        db.config("WORKER_THREADS", "1", "BATCH_SIZE", "100", "DB_STATEMENT_TIMEOUT", "1s", "MAX_ATTEMPTS", "2",
            "RETRY_BACKOFF", "100ms"), handlers, WorkerMetrics.NONE)) {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
    }

    assertEquals(39, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM slow"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM slow WHERE s = 'slow'"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM events WHERE id = 17 AND status = 'failed' AND attempts = 2"
        + " AND last_error = 'gave up after 2 attempts: its rows could not be written within DB_STATEMENT_TIMEOUT:"
        + " canceling statement due to statement timeout [57014]'"));
  }
}
