package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.db.ConnectionPool;
import io.eventworker.handler.RowInsert;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventRepository;
import io.eventworker.runtime.Backoff;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.TestHandler;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * One event whose row the server will not write, or not in time, must cost only that event: not its
 * whole batch, rolled back and tried again forever; and a write that waits on someone else's lock
 * costs no event anything. Each test runs 40 events of a test handler that writes the payload's
 * {@code s} into a table of its own; event 17 is the bad one.
 */
@Tag("database")
class WriteFaultsTest {

  private static final RowInsert ROW = RowInsert.into("target").column("s", "text").build();
  private static final Handlers HANDLERS =
      Handlers.of(
          List.of(
              TestHandler.of(
                  "row", (event, rows) -> rows.insert(ROW, event.data().get("s").textValue()))));
  private static final long BAD = 17;
  // A trigger that sleeps on the rows whose s is 'slow', and on every row while slow_rows says so.
  private static final String[] SLOW_ROWS = {
    "CREATE TABLE target (s text CHECK (s <> 'bad'))",
    "CREATE TABLE slow_rows (seconds float8)",
    "CREATE FUNCTION slow_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
        + " IF NEW.s = 'slow' THEN PERFORM pg_sleep(5); END IF;"
        + " PERFORM pg_sleep(seconds) FROM slow_rows; RETURN NEW; END $$",
    "CREATE TRIGGER slow_row BEFORE INSERT ON target FOR EACH ROW EXECUTE FUNCTION slow_row()"
  };

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void aRowOverOneOfTheServersLimitsFailsItsEventAlone() throws Exception {
    // A btree entry passing about 2.7 kB is over a limit of the server's own (SQLSTATE 54000):
    // the data's fault as surely as a CHECK violation. 6,000 hex digits of random bytes: no
    // compression brings the entry under it.
    db.execute("CREATE TABLE target (s text)", "CREATE INDEX target_s ON target (s)");
    byte[] noise = new byte[3_000];
    new Random(54_000).nextBytes(noise);
    insert(Map.of(BAD, HexFormat.of().formatHex(noise)));
    drain();

    assertEquals(
        39,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM target WHERE s LIKE 's-%'"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM target"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE id = "
                + BAD
                + " AND status = 'failed' AND attempts = 1 AND last_error LIKE 'rejected by the"
                + " database: index row size % exceeds btree % maximum %[54000]'"));
  }

  @Test
  void anEventWhoseWriteRunsOutOfTheStatementTimeoutIsRetriedAloneThenFailed() throws Exception {
    db.execute(SLOW_ROWS);
    insert(Map.of(BAD, "slow"));
    drain("DB_STATEMENT_TIMEOUT", "1s", "MAX_ATTEMPTS", "2", "RETRY_BACKOFF", "100ms");

    assertEquals(
        39,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM target WHERE s LIKE 's-%'"));
    assertEquals(39, db.queryLong("SELECT count(*) FROM target"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE id = "
                + BAD
                + " AND status = 'failed' AND attempts = 2"
                + " AND last_error = 'gave up after 2 attempts: its rows could not be written:"
                + " canceling statement due to statement timeout [57014]'"));
  }

  @Test
  void aWriteWaitingForALockHeldElsewhereChargesNoEvent() throws Exception {
    // The table locked by another session: the write waits, gives up at lock_timeout (half of
    // DB_STATEMENT_TIMEOUT) as the system's fault, and succeeds once the lock is gone. The lock is
    // released only once the write has waited for it twice, so it gave up at least once.
    db.execute("CREATE TABLE target (s text)");
    insert(Map.of());
    try (Connection holder = db.connect()) {
      holder.setAutoCommit(false);
      try (Statement s = holder.createStatement()) {
        s.execute("LOCK TABLE target IN ACCESS EXCLUSIVE MODE");
      }
      CompletableFuture<Integer> release =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return awaitLockWaits(2);
                } finally {
                  try {
                    holder.rollback();
                  } catch (Exception e) {
                    throw new IllegalStateException(e);
                  }
                }
              });
      drain("DB_STATEMENT_TIMEOUT", "2s", "DB_RETRY_BACKOFF_MAX", "1s");
      assertEquals(
          2,
          release.get(30, TimeUnit.SECONDS),
          "the write waited for the lock, gave up and came back");
    }

    assertEquals(
        40,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(40, db.queryLong("SELECT count(*) FROM target"));
  }

  @Test
  void aWriteCancelledByPgCancelBackendCostsItsEventAnAttemptWithTheServersWords()
      throws Exception {
    // Event 17's row takes 5 s to write, well within DB_STATEMENT_TIMEOUT. An operator cancels the
    // worker's write twice: the batch's, which sends it one event at a time, then event 17's own.
    // The server says which cancel it was, with the same SQLSTATE as a timeout: the event is
    // charged an attempt, as for a timeout (an operator or a pooler cancelling it every time must
    // not keep it pending forever), and processed at the next.
    db.execute(SLOW_ROWS);
    insert(Map.of(BAD, "slow"));
    CompletableFuture<Integer> cancels =
        CompletableFuture.supplyAsync(() -> cancelSleepingWrites(2));
    drain("DB_STATEMENT_TIMEOUT", "10s", "MAX_ATTEMPTS", "2", "RETRY_BACKOFF", "100ms");

    assertEquals(2, cancels.get(30, TimeUnit.SECONDS));
    assertEquals(
        39,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE id = "
                + BAD
                + " AND status = 'processed' AND attempts = 2 AND last_error = 'its rows could not"
                + " be written: canceling statement due to user request [57014]'"));
    assertEquals(40, db.queryLong("SELECT count(*) FROM target"));
  }

  @Test
  void eventsEachQuickButTooSlowTogetherAreWrittenOneByOneWithinTheBatchSize() throws Exception {
    // 60 ms a row: 20 rows take longer than the 1 s timeout together, and 60 ms each alone.
    db.execute(SLOW_ROWS);
    db.execute("INSERT INTO slow_rows VALUES (0.06)");
    insert(Map.of());
    try (HikariDataSource pool = pool()) {
      BatchProcessor processor = processor(pool);
      ClaimLimit limit = new ClaimLimit(20);
      assertEquals(new BatchProcessor.Batch(20, true, false, 0), next(processor, limit));
      assertEquals(20, limit.current());
    }
    assertEquals(
        20,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(20, db.queryLong("SELECT count(*) FROM target"));
  }

  @Test
  void aTimeoutWhileHalvingLeavesTheBatchCutShortSoTheEventsItLeftAreDueAtOnce() throws Exception {
    // Event 5's row breaks a CHECK, so the batch is halved; a half holding event 17 runs out of
    // the timeout, so it is written one event at a time, which charges 17 and leaves 18 to 40.
    db.execute(SLOW_ROWS);
    insert(Map.of(5L, "bad", BAD, "slow"));
    try (HikariDataSource pool = pool()) {
      BatchProcessor processor = processor(pool);
      ClaimLimit limit = new ClaimLimit(100);
      // 1-4 and 6-16 written, 5 and 17 failed: cut short, more due, the cursor rewound.
      assertEquals(new BatchProcessor.Batch(17, true, true, 0), next(processor, limit));
      assertEquals(18, limit.current());
      assertEquals(new BatchProcessor.Batch(18, true, false, 0), next(processor, limit));
      assertEquals(36, limit.current());
      assertEquals(5, next(processor, limit).claimed());
    }
    assertEquals(
        38,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE id = 5 AND status = 'failed' AND last_error LIKE"
                + " 'rejected by the database: new row for relation \"target\" violates check"
                + " constraint%'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE id = "
                + BAD
                + " AND status = 'failed'"
                + " AND last_error = 'gave up after 1 attempts: its rows could not be written:"
                + " canceling statement due to statement timeout [57014]'"));
  }

  /** Inserts the 40 events; {@code special} gives the payload's {@code s} of some of them. */
  private void insert(Map<Long, String> special) throws Exception {
    StringBuilder values = new StringBuilder();
    for (long i = 1; i <= 40; i++) {
      values
          .append(i == 1 ? "" : ",")
          .append("('row', '{\"s\":\"")
          .append(special.getOrDefault(i, "s-" + i))
          .append("\"}')");
    }
    db.execute("INSERT INTO events (event_type, data) VALUES " + values);
  }

  /** Runs a worker of one thread with {@code settings} until no event is pending. */
  private void drain(String... settings) throws Exception {
    String[] config = new String[settings.length + 4];
    System.arraycopy(new String[] {"WORKER_THREADS", "1", "BATCH_SIZE", "100"}, 0, config, 0, 4);
    System.arraycopy(settings, 0, config, 4, settings.length);
    try (RunningWorker worker =
        RunningWorker.start(db.config(config), HANDLERS, WorkerMetrics.NONE)) {
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(50))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
    }
  }

  /**
   * Waits until statements of the worker have waited for a lock {@code count} times (told apart by
   * their start), for at most 20 s; returns how many it saw.
   */
  private int awaitLockWaits(int count) {
    Set<String> waits = new HashSet<>();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      while (waits.size() < count && System.nanoTime() < deadline) {
        try (var rs =
            s.executeQuery(
                "SELECT pid, query_start::text FROM pg_stat_activity WHERE datname ="
                    + " current_database() AND wait_event_type = 'Lock' AND application_name ="
                    + " 'event-worker'")) {
          while (rs.next()) {
            waits.add(rs.getLong(1) + " " + rs.getString(2));
          }
        }
        Thread.sleep(20);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return waits.size();
  }

  /** A pool with DB_STATEMENT_TIMEOUT=1s, for a processor driven by the test. */
  private HikariDataSource pool() {
    return ConnectionPool.create(
        db.config("WORKER_THREADS", "1", "DB_STATEMENT_TIMEOUT", "1s"),
        null,
        ConnectionPool.Use.DAEMON);
  }

  /** Processes one batch as a claim loop does, adapting {@code limit} to it. */
  private static BatchProcessor.Batch next(BatchProcessor processor, ClaimLimit limit)
      throws Exception {
    BatchProcessor.Batch batch = processor.processBatch(limit.current());
    limit.after(batch);
    return batch;
  }

  /** A processor with one attempt per event. */
  private static BatchProcessor processor(HikariDataSource pool) {
    return new BatchProcessor(
        pool,
        new EventRepository(),
        HANDLERS,
        1 << 20,
        1,
        new Backoff(
            Duration.ofMillis(10), Duration.ofMillis(10), Backoff.Jitter.QUARTER, () -> 0.5),
        WorkerMetrics.NONE,
        Clock.systemUTC(),
        java.util.Set.of());
  }

  /**
   * Cancels, with pg_cancel_backend, the next {@code count} statements of this database found
   * sleeping in pg_sleep, each once; returns how many it cancelled within 20 s.
   */
  private int cancelSleepingWrites(int count) {
    int cancelled = 0;
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    // Each write is a statement of its own: its query_start tells a new sleep from the one just
    // cancelled, however soon the same backend sleeps again.
    String lastCancelled = null;
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      while (cancelled < count && System.nanoTime() < deadline) {
        try (var rs =
            s.executeQuery(
                "SELECT pid, query_start::text FROM pg_stat_activity WHERE datname ="
                    + " current_database() AND wait_event = 'PgSleep' AND pid <>"
                    + " pg_backend_pid()")) {
          if (rs.next() && !rs.getString(2).equals(lastCancelled)) {
            lastCancelled = rs.getString(2);
            long pid = rs.getLong(1);
            rs.close();
            s.execute("SELECT pg_cancel_backend(" + pid + ")");
            cancelled++;
          }
        }
        Thread.sleep(20);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    return cancelled;
  }
}
