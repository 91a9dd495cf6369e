package io.eventworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.db.ConnectionPool;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.builtin.DataEntryHandler;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventRepository;
import io.eventworker.runtime.Backoff;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.TestHandler;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * How batches deal with large payloads: a batch that its payload budget cut short says that more is
 * due, and the next claims ask for little more than it took (so as not to hold locks on rows they
 * cannot take), and once it commits the events it let go are due at once, though other threads'
 * claims passed over them; a payload PostgreSQL cannot render as text fails alone, with the reason,
 * and the events around it are processed.
 */
@Tag("database")
class PayloadBatchesTest {

  private static final int KB = 1024;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void afterABatchCutShortByItsBudgetTheClaimLimitShrinksThenDoublesBack() throws Exception {
    insertLargeThenSmall();
    List<Shape> batches = processBatches(5);

    assertEquals(
        List.of(
            batch(3, true, 4), // three of 300 kB fit in 1000 kB: cut short, more due
            batch(4, true, 8), // the fourth large one and three small; doubled
            batch(8, true, 16),
            batch(9, false, 16), // 9 left: the queue is empty
            batch(0, false, 16)),
        batches);
    assertEquals(
        24,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(24, db.queryLong("SELECT count(DISTINCT key) FROM data_entries"));
  }

  @Test
  void aPayloadTooLargeToRenderAsTextFailsAloneAndTheOthersAreProcessed() throws Exception {
    // A few kB stored (compressed), over 1 GB as text: 8,200 numbers written out as 131,072 digits
    // each.
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'before-' || g) FROM generate_series(1, 3) g");
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('data_entry', ('{\"key\": \"bomb\","
            + " \"value\": [' || repeat('1e131071, ', 8200) || '1]}')::jsonb)");
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'after-' || g) FROM generate_series(1, 3) g");

    List<Shape> batches = processBatches(4);

    // The batch that met it failed it alone and counts as cut short; the next ones took the six
    // others, claiming 2, then 4.
    assertEquals(
        List.of(batch(1, true, 2), batch(2, true, 4), batch(4, true, 8), batch(0, false, 8)),
        batches);
    assertEquals(6, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'failed' AND id = 4 AND attempts = 1 AND"
                + " last_error LIKE 'payload cannot be read: as JSON text it would pass"
                + " PostgreSQL''s 1 GB limit (%[54000])'"));
    assertEquals(
        6, db.queryLong("SELECT count(*) FROM data_entries WHERE key ~ '^(before|after)-[1-3]$'"));
  }

  @Test
  void aPayloadTooSlowToRenderCountsAttemptsThenFailsAndTheOthersAreProcessed() throws Exception {
    // 983 MB as text, just under the 1 GB limit: 7,500 numbers of 131,072 digits, which take
    // PostgreSQL more than DB_STATEMENT_TIMEOUT (1 s) to write out.
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'before-' || g) FROM generate_series(1, 3) g");
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('data_entry', ('{\"key\": \"slow\","
            + " \"value\": [' || repeat('1e131071, ', 7500) || '1]}')::jsonb)");
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'after-' || g) FROM generate_series(1, 3) g");

    try (HikariDataSource pool =
        ConnectionPool.create(
            // The cancel lands when the server next checks for it, later on a loaded machine: the
            // socket timeout must not give the connection up first (that charges no attempt).
            db.config(
                "WORKER_THREADS",
                "1",
                "BATCH_SIZE",
                "100",
                "DB_STATEMENT_TIMEOUT",
                "1s",
                "DB_SOCKET_TIMEOUT",
                "120s"),
            null,
            ConnectionPool.Use.DAEMON)) {
      BatchProcessor processor =
          new BatchProcessor(
              pool,
              new EventRepository(),
              Handlers.discover(),
              1000 * KB,
              2,
              new Backoff(
                  Duration.ofMillis(10), Duration.ofMillis(10), Backoff.Jitter.QUARTER, () -> 0.5),
              WorkerMetrics.NONE,
              Clock.systemUTC(),
              java.util.Set.of());
      ClaimLimit limit = new ClaimLimit(100);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > 0
          && System.nanoTime() < deadline) {
        // Once pending again, it is due in 10 ms, found by the claim cursor's next rescan.
        BatchProcessor.Batch batch = processor.processBatch(limit.current());
        limit.after(batch);
        TimeUnit.NANOSECONDS.sleep(
            Math.min(batch.recheckNanos(), TimeUnit.MILLISECONDS.toNanos(200)));
      }
    }
    assertEquals(
        6, db.queryLong("SELECT count(*) FROM data_entries WHERE key ~ '^(before|after)-[1-3]$'"));
    assertEquals(6, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'failed' AND id = 4 AND attempts = 2 AND"
                + " last_error LIKE 'gave up after 2 attempts: payload could not be read in"
                + " DB_STATEMENT_TIMEOUT or the server''s memory (%[57014])'"));
  }

  @Test
  void theEventsABatchCutShortLetGoAreDueAtOnceThoughAnotherThreadsClaimPassedThem()
      throws Exception {
    insertLargeThenSmall();
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch passed = new CountDownLatch(1);
    DataEntryHandler entries = new DataEntryHandler();
    EventHandler pausing =
        TestHandler.of(
            entries.eventType(),
            (event, rows) -> {
              if (event.data().path("key").asText().equals("large-1")) {
                holding.countDown();
                awaitQuietly(passed);
              }
              entries.handle(event, rows);
            });
    ExecutorService otherThread = Executors.newSingleThreadExecutor();
    try (HikariDataSource pool = pool()) {
      BatchProcessor processor = processor(pool, Handlers.of(List.of(pausing)));
      Future<BatchProcessor.Batch> cutShort = otherThread.submit(() -> processor.processBatch(100));
      assertTrue(holding.await(30, TimeUnit.SECONDS));
      // That batch holds the 21 rows it could not take until it commits. Newer events come, and
      // this thread's claim passes over the held rows to take them.
      db.execute(
          "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
              + " 'later-' || g) FROM generate_series(1, 5) g");
      ClaimLimit thisThread = new ClaimLimit(100);
      assertEquals(batch(5, false, 100), shape(processor.processBatch(100), thisThread));
      passed.countDown();
      ClaimLimit limit = new ClaimLimit(100);
      assertEquals(batch(3, true, 4), shape(cutShort.get(30, TimeUnit.SECONDS), limit));

      // The 21 are due at once, not when the claim cursor next starts from the beginning.
      List<Integer> claimed = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        BatchProcessor.Batch batch = processor.processBatch(limit.current());
        claimed.add(batch.claimed());
        limit.after(batch);
      }
      assertEquals(List.of(4, 8, 9, 0), claimed);
    } finally {
      otherThread.shutdownNow();
    }
    assertEquals(
        29,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
  }

  private void insertLargeThenSmall() throws Exception {
    // Four payloads of 300 kB (stored compressed: read against the budget), then 20 small ones.
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'large-' || g, 'value', repeat('x', "
            + 300 * KB
            + ")) FROM generate_series(1, 4) g");
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'small-' || g) FROM generate_series(1, 20) g");
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private HikariDataSource pool() {
    return ConnectionPool.create(
        db.config("WORKER_THREADS", "1", "BATCH_SIZE", "100"), null, ConnectionPool.Use.DAEMON);
  }

  /** A processor with a payload budget of 1000 kB per batch. */
  private static BatchProcessor processor(HikariDataSource pool, Handlers handlers) {
    return new BatchProcessor(
        pool,
        new EventRepository(),
        handlers,
        1000 * KB,
        1,
        new Backoff(
            Duration.ofMillis(10), Duration.ofMillis(10), Backoff.Jitter.QUARTER, () -> 0.5),
        WorkerMetrics.NONE,
        Clock.systemUTC(),
        java.util.Set.of());
  }

  /** Runs {@code count} batches one after the other, as one thread does. */
  private List<Shape> processBatches(int count) throws Exception {
    List<Shape> batches = new ArrayList<>();
    try (HikariDataSource pool = pool()) {
      BatchProcessor processor = processor(pool, Handlers.discover());
      ClaimLimit limit = new ClaimLimit(100);
      for (int i = 0; i < count; i++) {
        batches.add(shape(processor.processBatch(limit.current()), limit));
      }
    }
    return batches;
  }

  /**
   * How a batch ended, as these tests compare it: when to look again depends on how long claims
   * took.
   */
  private record Shape(int claimed, boolean full, int nextLimit) {}

  private static Shape batch(int claimed, boolean full, int nextLimit) {
    return new Shape(claimed, full, nextLimit);
  }

  /** The shape of {@code b}, a batch claimed with {@code limit}, which it adapts. */
  private static Shape shape(BatchProcessor.Batch b, ClaimLimit limit) {
    limit.after(b);
    return batch(b.claimed(), b.full(), limit.current());
  }
}
