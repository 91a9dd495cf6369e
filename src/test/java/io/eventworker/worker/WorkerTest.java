package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.handler.Event;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.handler.RowInsert;
import io.eventworker.handler.Rows;
import io.eventworker.handler.builtin.DataEntryHandler;
import io.eventworker.handler.builtin.MetricHandler;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.testing.Fixtures;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.TestHandler;
import io.eventworker.testing.WorkerThreads;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("database")
class WorkerTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void processesEveryValidEventExactlyOnceWithItsRows() throws Exception {
    db.execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')");
    db.execute(
        "INSERT INTO events (event_type, user_id, data) VALUES ('data_entry', 1,"
            + " '{\"key\":\"profile\",\"value\":{\"theme\":\"dark\"},\"type\":\"settings\",\"metadata\":{\"v\":2}}'),"
            + " ('data_entry', 1, '{\"key\":\"nickname\",\"value\":\"ada\"}'), ('metric', 1,"
            + " '{\"name\":\"latency_ms\",\"value\":12.50,\"tags\":{\"route\":\"/\"}}')");
    Fixtures.insertMixed(db, 2_000, 0);

    try (RunningWorker worker =
        RunningWorker.start(db.config("WORKER_THREADS", "2", "BATCH_SIZE", "100"))) {
      awaitNothingPending();
    }

    assertEquals(
        2_003,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1 AND"
                + " processed_at >= created_at"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM data_entries WHERE user_id = 1 AND key = 'profile' AND value ="
                + " '{\"theme\":\"dark\"}' AND type = 'settings' AND metadata = '{\"v\":2}'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM data_entries WHERE key = 'nickname' AND value = 'ada' AND type IS"
                + " NULL AND metadata IS NULL"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM metrics WHERE metric_name = 'latency_ms' AND metric_value = 12.50"
                + " AND metric_value::text = '12.50' AND tags = '{\"route\":\"/\"}'"));
    assertEquals(1002, db.queryLong("SELECT count(*) FROM data_entries"));
    assertEquals(1001, db.queryLong("SELECT count(*) FROM metrics"));
    assertEquals(
        1000, db.queryLong("SELECT count(DISTINCT key) FROM data_entries WHERE key LIKE 'k-%'"));
  }

  @Test
  void poisonEventsFailAloneAndTheRestOfTheirBatchCommits() throws Exception {
    db.execute("CREATE TABLE checked (n int CHECK (n > 0))");
    Handlers handlers =
        Handlers.of(List.of(new DataEntryHandler(), new MetricHandler(), new CheckedHandler()));
    // One batch of 60: valid events around two CHECK violations the database refuses, an invalid
    // payload and a value too long.
    StringBuilder values = new StringBuilder();
    for (int i = 1; i <= 60; i++) {
      String row =
          switch (i) {
            case 1 -> "('checked', '{\"n\":0}')";
            case 20 -> "('checked', '{\"n\":-1}')";
            case 30 -> "('data_entry', '{\"value\":\"no key\"}')";
            case 40 -> "('data_entry', '{\"key\":\"" + "x".repeat(300) + "\"}')";
            case 50 -> "('checked', '{\"n\":5}')";
            default -> "('data_entry', '{\"key\":\"k-" + i + "\"}')";
          };
      values.append(i == 1 ? "" : ",").append(row);
    }
    db.execute("INSERT INTO events (event_type, data) VALUES " + values);

    try (RunningWorker worker =
        RunningWorker.start(
            db.config("WORKER_THREADS", "1", "BATCH_SIZE", "100"), handlers, WorkerMetrics.NONE)) {
      awaitNothingPending();
    }

    assertEquals(56, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"));
    assertEquals(55, db.queryLong("SELECT count(*) FROM data_entries"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM checked WHERE n = 5"));
    Map<Long, String> errors = failedEvents();
    assertEquals(4, errors.size(), errors.toString());
    assertTrue(
        errors
            .get(1L)
            .startsWith(
                "rejected by the database: new row for relation \"checked\" violates check"
                    + " constraint"),
        errors.get(1L));
    assertTrue(
        errors.get(20L).contains("violates check constraint \"checked_n_check\"")
            && errors.get(20L).endsWith("[23514]"),
        errors.get(20L));
    assertEquals("invalid payload: field 'key' is required", errors.get(30L));
    assertEquals(
        "invalid payload: field 'key' is 300 characters long, at most 255 allowed",
        errors.get(40L));
    assertEquals(
        4,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'failed' AND attempts = 1"),
        "failed at once, not retried");
  }

  @Test
  void handlerErrorsAreRetriedWithGrowingBackoffThenFailed() throws Exception {
    FlakyHandler flaky = new FlakyHandler(Integer.MAX_VALUE);
    db.execute("INSERT INTO events (event_type, data) VALUES ('flaky', '{}')");
    try (RunningWorker worker =
        RunningWorker.start(
            db.config(
                "WORKER_THREADS",
                "1",
                "POLL_INTERVAL",
                "20ms",
                "MAX_ATTEMPTS",
                "3",
                "RETRY_BACKOFF",
                "1s",
                "RETRY_BACKOFF_MAX",
                "10s"),
            Handlers.of(List.of(flaky)),
            WorkerMetrics.NONE)) {

      await()
          .atMost(Duration.ofSeconds(5))
          .pollInterval(Duration.ofMillis(20))
          .until(() -> db.queryLong("SELECT attempts FROM events") == 1);
      long firstCall = flaky.calls.get(0);
      assertEquals(
          1,
          db.queryLong(
              "SELECT count(*) FROM events WHERE status = 'pending' AND attempts = 1 AND last_error"
                  + " = 'handler error: java.lang.IllegalStateException: downstream is flaky' AND"
                  + " run_at >= to_timestamp("
                  + firstCall
                  + " / 1000.0) + interval '700 milliseconds'"),
          "retried later, with the error kept: " + describeEvents(firstCall));

      await()
          .atMost(Duration.ofSeconds(20))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'failed'") == 1);
    }
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'failed' AND attempts = 3 AND last_error ="
                + " 'gave up after 3 attempts: handler error: java.lang.IllegalStateException:"
                + " downstream is flaky'"));
    assertEquals(3, flaky.calls.size());
    // Backoff 1 s then 2 s, each within ±25% jitter: the gaps grow.
    List<Long> at = flaky.calls;
    assertTrue(at.get(1) - at.get(0) >= 750, "first retry after >= 750 ms: " + at);
    assertTrue(at.get(2) - at.get(1) >= 1500, "second retry after >= 1.5 s: " + at);
  }

  @Test
  void anEventThatSucceedsOnRetryIsProcessedOnce() throws Exception {
    FlakyHandler flaky = new FlakyHandler(2);
    db.execute("INSERT INTO events (event_type, data) VALUES ('flaky', '{}'), ('flaky', '{}')");
    try (RunningWorker worker =
        RunningWorker.start(
            db.config("WORKER_THREADS", "2", "POLL_INTERVAL", "20ms", "RETRY_BACKOFF", "50ms"),
            Handlers.of(List.of(flaky)),
            WorkerMetrics.NONE)) {
      awaitNothingPending();
    }
    assertEquals(
        2, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 3"));
    assertEquals(
        2,
        db.queryLong("SELECT count(*) FROM data_entries WHERE key = 'flaky'"),
        "one row per event, none from failed attempts");
  }

  @Test
  void anErrorThrownByAHandlerIsChargedToItsEventAndDoesNotStallTheQueue() throws Exception {
    EventHandler asserting =
        TestHandler.of(
            "asserting",
            (event, rows) -> {
              if (event.data().path("boom").asBoolean()) {
                throw new AssertionError("handler invariant broken");
              }
              rows.insert(FlakyHandler.ENTRY, "fine-" + event.id());
            });
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'asserting', '{}' FROM generate_series(1,"
            + " 150)");
    db.execute("UPDATE events SET data = '{\"boom\":true}' WHERE id = 1");
    try (RunningWorker worker =
        RunningWorker.start(
            db.config(
                "WORKER_THREADS",
                "1",
                "POLL_INTERVAL",
                "20ms",
                "MAX_ATTEMPTS",
                "2",
                "RETRY_BACKOFF",
                "50ms"),
            Handlers.of(List.of(asserting)),
            WorkerMetrics.NONE)) {
      awaitNothingPending();
    }
    assertEquals(149, db.queryLong("SELECT count(*) FROM data_entries"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE id = 1 AND status = 'failed' AND attempts = 2 AND"
                + " last_error = 'gave up after 2 attempts: handler error:"
                + " java.lang.AssertionError: handler invariant broken'"));
  }

  @Test
  void aBatchLetsGoOfEachPayloadOnceItsHandlerRan() throws Exception {
    // A batch holds its events until it commits; their payloads must not stay on the heap that
    // long, whether the handler succeeded, rejected the event or threw. Each handler call looks
    // at the event handled before it.
    List<Event> seen = new CopyOnWriteArrayList<>();
    List<String> stillHeld = new CopyOnWriteArrayList<>();
    EventHandler looking =
        TestHandler.of(
            "looking",
            (event, rows) -> {
              if (!seen.isEmpty()) {
                Event previous = seen.get(seen.size() - 1);
                try {
                  stillHeld.add(previous + " still holds its text " + previous.json());
                } catch (IllegalStateException expected) {
                  // let go, as it should be
                }
                try {
                  stillHeld.add(previous + " still holds its parsed payload " + previous.data());
                } catch (IllegalStateException expected) {
                  // let go, as it should be
                }
              }
              int n = event.data().path("n").asInt();
              seen.add(event);
              if (n % 10 == 3) {
                throw new InvalidEventException("rejected " + n);
              }
              if (n % 10 == 7) {
                throw new IllegalArgumentException("threw " + n);
              }
              rows.insert(FlakyHandler.ENTRY, "seen-" + event.id());
            });
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'looking', jsonb_build_object('n', g) FROM"
            + " generate_series(1, 50) g");
    try (RunningWorker worker =
        RunningWorker.start(
            db.config("WORKER_THREADS", "1", "BATCH_SIZE", "50", "MAX_ATTEMPTS", "1"),
            Handlers.of(List.of(looking)),
            WorkerMetrics.NONE)) {
      awaitNothingPending();
    }
    assertEquals(40, db.queryLong("SELECT count(*) FROM data_entries WHERE key LIKE 'seen-%'"));
    assertEquals(10, db.queryLong("SELECT count(*) FROM events WHERE status = 'failed'"));
    assertEquals(50, seen.size());
    assertEquals(List.of(), stillHeld);
    IllegalStateException gone =
        assertThrows(IllegalStateException.class, () -> seen.get(49).data());
    assertTrue(gone.getMessage().contains("was handled already"), gone.getMessage());
  }

  @Test
  void aDatabaseErrorThatIsNotAboutTheDataChargesNoAttemptAndClearsWhenFixed() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'checked', '{\"n\":1}' FROM"
            + " generate_series(1, 20)");
    // The handler's table is missing (a handler deployed before its migration): 42P01.
    Handlers handlers = Handlers.of(List.of(new CheckedHandler()));
    AtomicInteger loopErrors = new AtomicInteger();
    WorkerMetrics counting =
        new WorkerMetrics() {
          @Override
          public void loopError(String kind) {
            if (kind.equals("other")) {
              loopErrors.incrementAndGet();
            }
          }
        };
    try (RunningWorker worker =
        RunningWorker.start(
            db.config(
                "WORKER_THREADS",
                "2",
                "POLL_INTERVAL",
                "50ms",
                "MAX_ATTEMPTS",
                "2",
                "DB_RETRY_BACKOFF_MAX",
                "200ms"),
            handlers,
            counting)) {
      // Each loop error of this kind is a batch of these events claimed, refused by the missing
      // table and rolled back: after several, the events have been through the worker.
      await().atMost(Duration.ofSeconds(20)).until(() -> loopErrors.get() >= 4);
      assertEquals(
          20,
          db.queryLong(
              "SELECT count(*) FROM events WHERE status = 'pending' AND attempts = 0 AND last_error"
                  + " IS NULL"),
          "events untouched while the system is broken");
      db.execute("CREATE TABLE checked (n int CHECK (n > 0))");
      awaitNothingPending();
    }
    assertEquals(
        20,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(20, db.queryLong("SELECT count(*) FROM checked"));
  }

  @Test
  void aBatchRejectedAtCommitIsRedoneOneEventAtATime() throws Exception {
    // A deferred unique constraint is checked only at commit: the database cannot say which
    // event's row broke it.
    db.execute("CREATE TABLE uniq (k text UNIQUE DEFERRABLE INITIALLY DEFERRED)");
    db.execute("INSERT INTO uniq VALUES ('taken')");
    RowInsert uniq = RowInsert.into("uniq").column("k", "text").build();
    EventHandler unique =
        TestHandler.of(
            "unique", (event, rows) -> rows.insert(uniq, event.data().get("k").asText()));
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'unique', jsonb_build_object('k', 'k' || g)"
            + " FROM generate_series(1, 30) g");
    db.execute("UPDATE events SET data = '{\"k\":\"taken\"}' WHERE id = 7");
    try (RunningWorker worker =
        RunningWorker.start(
            db.config("WORKER_THREADS", "1", "BATCH_SIZE", "100"),
            Handlers.of(List.of(unique)),
            WorkerMetrics.NONE)) {
      awaitNothingPending();
    }
    assertEquals(29, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"));
    assertEquals(
        30,
        db.queryLong("SELECT count(*) FROM uniq"),
        "the row that was there and one per processed event");
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE id = 7 AND status = 'failed' AND last_error LIKE"
                + " 'rejected by the database: duplicate key value violates unique"
                + " constraint%[23505]'"));
  }

  @Test
  void eventsWithoutAHandlerStayPendingAndDoNotBlockOthers() throws Exception {
    db.execute("INSERT INTO events (event_type, data) VALUES ('invoice', '{}'), ('', '{}')");
    Fixtures.insertMixed(db, 10, 0);
    try (RunningWorker worker = RunningWorker.start(db.config("WORKER_THREADS", "1"))) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'") == 10);
    }
    assertEquals(
        2,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'pending' AND attempts = 0 AND event_type"
                + " IN ('invoice', '')"));
  }

  @Test
  void claimsDoNotReadABacklogOfTypesWithoutAHandler() throws Exception {
    // Older than everything else and never claimable here: a full index scan would read them all
    // on every claim.
    db.execute(
        "INSERT INTO events (event_type, data, run_at) SELECT 'other_team', '{}', now() - interval"
            + " '1 day' FROM generate_series(1, 50000)");
    Fixtures.insertMixed(db, 2_000, 0);
    try (RunningWorker worker =
        RunningWorker.start(db.config("WORKER_THREADS", "2", "BATCH_SIZE", "50"))) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'") == 2_000);
    }
    // The workers' sessions have ended, so their index statistics are flushed.
    long read = 0;
    for (int i = 0; i < 50 && read == 0; i++) {
      Thread.sleep(100);
      read =
          db.queryLong(
              "SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes WHERE indexrelname ="
                  + " 'idx_events_claim'");
    }
    assertTrue(
        read > 0 && read < 20_000,
        "index entries read by about 40 claims over 2,000 events: " + read);
  }

  @Test
  void eventsWithoutAHandlerFailWhenAskedTo() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('invoice', '{}'), ('', '{}'), ('invoice',"
            + " '[]')");
    Fixtures.insertMixed(db, 10, 0);
    try (RunningWorker worker =
        RunningWorker.start(db.config("WORKER_THREADS", "1", "UNHANDLED_EVENT_TYPES", "fail"))) {
      awaitNothingPending();
    }
    assertEquals(10, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"));
    assertEquals(
        2,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'failed' AND processed_at IS NOT NULL AND"
                + " last_error = 'no handler for event type ''invoice''"
                + " (UNHANDLED_EVENT_TYPES=fail)'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'failed' AND last_error = 'no handler for"
                + " event type '''' (UNHANDLED_EVENT_TYPES=fail)'"));
  }

  @Test
  void wakesOnInsertWithoutWaitingForThePoll() throws Exception {
    try (RunningWorker worker =
        RunningWorker.start(db.config("WORKER_THREADS", "2", "POLL_INTERVAL", "1h"))) {
      // Both threads claimed nothing and sleep for the hour; only the insert's notification is
      // left.
      WorkerThreads.awaitIdle(2);
      db.execute(
          "INSERT INTO events (event_type, data) VALUES ('metric',"
              + " '{\"name\":\"wake\",\"value\":1}')");
      await()
          .atMost(Duration.ofSeconds(3))
          .until(() -> db.queryLong("SELECT count(*) FROM metrics") == 1);
    }
  }

  @Test
  void listenerReconnectsAfterItsConnectionIsKilled() throws Exception {
    try (RunningWorker worker =
        RunningWorker.start(
            db.config("WORKER_THREADS", "1", "POLL_INTERVAL", "1h", "DB_RETRY_BACKOFF", "50ms"))) {
      await().atMost(Duration.ofSeconds(5)).until(() -> listenerPids().size() == 1);
      List<Integer> before = listenerPids();
      db.execute("SELECT pg_terminate_backend(" + before.get(0) + ")");
      await()
          .atMost(Duration.ofSeconds(10))
          .until(
              () -> {
                List<Integer> now = listenerPids();
                return now.size() == 1 && !now.equals(before);
              });
      db.execute(
          "INSERT INTO events (event_type, data) VALUES ('metric',"
              + " '{\"name\":\"after\",\"value\":1}')");
      await()
          .atMost(Duration.ofSeconds(3))
          .until(() -> db.queryLong("SELECT count(*) FROM metrics") == 1);
    }
  }

  private String describeEvents(long firstCall) throws Exception {
    StringBuilder out = new StringBuilder();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT status, attempts, last_error, run_at, to_timestamp("
                    + firstCall
                    + " / 1000.0) FROM events")) {
      while (rs.next()) {
        out.append(rs.getString(1))
            .append(' ')
            .append(rs.getInt(2))
            .append(' ')
            .append(rs.getString(3))
            .append(' ')
            .append(rs.getString(4))
            .append(' ')
            .append(rs.getString(5))
            .append('\n');
      }
    }
    return out.toString();
  }

  private List<Integer> listenerPids() throws Exception {
    List<Integer> pids = new CopyOnWriteArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                    + " AND application_name = 'event-worker' AND query LIKE 'LISTEN%'")) {
      while (rs.next()) {
        pids.add(rs.getInt(1));
      }
    }
    return pids;
  }

  private void awaitNothingPending() {
    await()
        .atMost(Duration.ofSeconds(60))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
  }

  private Map<Long, String> failedEvents() throws Exception {
    Map<Long, String> errors = new ConcurrentHashMap<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery("SELECT id, last_error FROM events WHERE status = 'failed'")) {
      while (rs.next()) {
        errors.put(rs.getLong(1), rs.getString(2));
      }
    }
    return errors;
  }

  /** Writes into the test's {@code checked} table, whose CHECK refuses n <= 0. */
  static final class CheckedHandler implements EventHandler {
    static final RowInsert CHECKED = RowInsert.into("checked").column("n", "int4").build();

    @Override
    public String eventType() {
      return "checked";
    }

    @Override
    public void handle(Event event, Rows rows) throws InvalidEventException {
      rows.insert(CHECKED, event.data().get("n").intValue());
    }
  }

  /** Fails the first {@code failures} calls for each event, then writes a data entry. */
  static final class FlakyHandler implements EventHandler {
    static final RowInsert ENTRY = RowInsert.into("data_entries").column("key", "text").build();
    final int failures;
    final List<Long> calls = new CopyOnWriteArrayList<>();
    final Map<Long, AtomicInteger> perEvent = new ConcurrentHashMap<>();

    FlakyHandler(int failures) {
      this.failures = failures;
    }

    @Override
    public String eventType() {
      return "flaky";
    }

    @Override
    public void handle(Event event, Rows rows) {
      calls.add(System.currentTimeMillis());
      if (perEvent.computeIfAbsent(event.id(), id -> new AtomicInteger()).incrementAndGet()
          <= failures) {
        rows.insert(ENTRY, "must not be written");
        throw new IllegalStateException("downstream is flaky");
      }
      rows.insert(ENTRY, "flaky");
    }
  }
}
