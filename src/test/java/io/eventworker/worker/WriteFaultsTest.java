package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.handler.Handlers;
import io.eventworker.handler.RowInsert;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.TestHandler;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One event whose row the server will not write, or not in time, must cost only that event: not
 * its whole batch, rolled back and tried again forever. Each test runs a worker over 40 events of
 * a test handler that writes the payload's {@code s} into a table of its own, event 17 the bad one.
 */
class WriteFaultsTest {

  private static final RowInsert ROW = RowInsert.into("target").column("s", "text").build();
  private static final long BAD = 17;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void aRowOverOneOfTheServersLimitsFailsItsEventAlone() throws Exception {
    // A btree entry passing about 2.7 kB is over a limit of the server's own (SQLSTATE 54000):
    // the data's fault as surely as a CHECK violation. 6,000 hex digits of random bytes: no
    // compression brings the entry under it.
    db.execute("CREATE TABLE target (s text)", "CREATE INDEX target_s ON target (s)");
    byte[] noise = new byte[3_000];
    new Random(54_000).nextBytes(noise);
    drain(HexFormat.of().formatHex(noise));

    assertEquals(39, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM target WHERE s LIKE 's-%'"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM target"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM events WHERE id = " + BAD + " AND status = 'failed' AND attempts = 1"
        + " AND last_error LIKE 'rejected by the database: index row size % exceeds btree % maximum %[54000]'"));
  }

  @Test
  void anEventWhoseWriteRunsOutOfTheStatementTimeoutIsRetriedAloneThenFailed() throws Exception {
    db.execute("CREATE TABLE target (s text)",
        "CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
            + " IF NEW.s = 'slow' THEN PERFORM pg_sleep(5); END IF; RETURN NEW; END $$",
        "CREATE TRIGGER slow_row BEFORE INSERT ON target FOR EACH ROW EXECUTE FUNCTION slow_row()");
    drain("slow", "DB_STATEMENT_TIMEOUT", "1s", "MAX_ATTEMPTS", "2", "RETRY_BACKOFF", "100ms");

    assertEquals(39, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM target WHERE s LIKE 's-%'"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM target"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM events WHERE id = " + BAD + " AND status = 'failed' AND attempts = 2"
        + " AND last_error = 'gave up after 2 attempts: its rows could not be written within DB_STATEMENT_TIMEOUT:"
        + " canceling statement due to statement timeout [57014]'"));
  }

  @Test
  void aWriteWaitingForALockHeldElsewhereChargesNoEvent() throws Exception {
    // The table locked by another session for 3 s: the write waits, gives up at lock_timeout
    // (half of DB_STATEMENT_TIMEOUT) as the system's fault, and succeeds once the lock is gone.
    db.execute("CREATE TABLE target (s text)");
    try (Connection holder = db.connect()) {
      holder.setAutoCommit(false);
      try (Statement s = holder.createStatement()) {
        s.execute("LOCK TABLE target IN ACCESS EXCLUSIVE MODE");
      }
      CompletableFuture<Void> release = CompletableFuture.runAsync(() -> {
        try {
          Thread.sleep(3_000);
          holder.rollback();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      drain("s-" + BAD, "DB_STATEMENT_TIMEOUT", "2s", "DB_RETRY_BACKOFF_MAX", "1s");
      release.join();
    }

    assertEquals(40, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(40, db.queryLong("SELECT count(*) FROM target"));
  }

  /** Inserts the 40 events, event 17 carrying {@code bad}, and runs a worker until none is pending. */
  private void drain(String bad, String... settings) throws Exception {
    StringBuilder values = new StringBuilder();
    for (int i = 1; i <= 40; i++) {
      values.append(i == 1 ? "" : ",").append("('row', '{\"s\":\"").append(i == BAD ? bad : "s-" + i).append("\"}')");
    }
    db.execute("INSERT INTO events (event_type, data) VALUES " + values);
    Handlers handlers = Handlers.of(List.of(TestHandler.of("row", (event, rows) ->
        rows.insert(ROW, event.data().get("s").textValue()))));
    String[] config = new String[settings.length + 4];
    System.arraycopy(new String[] {"WORKER_THREADS", "1", "BATCH_SIZE", "100"}, 0, config, 0, 4);
    System.arraycopy(settings, 0, config, 4, settings.length);
    try (RunningWorker worker = RunningWorker.start(db.config(config), handlers, WorkerMetrics.NONE)) {
      await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
    }
  }
}
