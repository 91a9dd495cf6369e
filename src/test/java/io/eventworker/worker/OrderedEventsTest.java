package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.handler.EventHandler;
import io.eventworker.handler.RowInsert;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.OrderedClaims;
import io.eventworker.testing.Cli;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.TestHandler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * ORDERED_EVENT_TYPES: one user's events of an ordered type are processed in id order across
 * threads and workers, a retrying event holds its user's later events back (and nobody else's), a
 * failed one no longer does, and {@code retry} puts it back at the head of its user's queue.
 */
@Tag("database")
class OrderedEventsTest {

  private static final String ORDERED = "ordered_step";
  private static final String PLAIN = "plain_step";
  // The handler's row: which event, of which user. Its seq (a sequence) is the order in which
  // the rows were written, which for one user is the order of their commits.
  private static final RowInsert STEP =
      RowInsert.into("step_log").column("event_id", "int8").column("user_id", "int4").build();

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  // What migrate builds when ORDERED_EVENT_TYPES is set.
  @BeforeEach
  void buildOrderedIndex() throws SQLException {
    try (Connection c = db.connect()) {
      assertTrue(OrderedClaims.buildIndex(c));
    }
  }

  // Event ids the handler fails with a retryable error while they are listed here.
  private final Set<Long> failing = ConcurrentHashMap.newKeySet();
  // Event ids that fail once only (their first attempt).
  private final Set<Long> failOnce = ConcurrentHashMap.newKeySet();

  @Test
  void eachUsersEventsRunInIdOrderAcrossThreadsAndWorkers() throws Exception {
    setUp(80);
    Random random = new Random(23);
    List<String> types = new ArrayList<>();
    List<Integer> users = new ArrayList<>();
    for (int i = 0; i < 4000; i++) {
      int choice = random.nextInt(100);
      types.add(choice < 10 ? PLAIN : ORDERED);
      users.add(choice < 3 ? null : 1 + random.nextInt(80));
    }
    List<Long> ids = insertAll(types, users);
    // Some events fail their first attempt, and wait out a backoff at the head of their user's
    // queue, while the rest of the queue is drained around them.
    for (int i = 0; i < ids.size(); i += 37) {
      failOnce.add(ids.get(i));
    }
    List<RunningWorker> workers = new ArrayList<>();
    try {
      for (int w = 0; w < 2; w++) {
        workers.add(worker("4", "25"));
      }
      // More arrive while they run, 50 at a time.
      for (int i = 0; i < 20; i++) {
        List<Integer> more = new ArrayList<>();
        for (int j = 0; j < 50; j++) {
          more.add(1 + random.nextInt(80));
        }
        insertAll(java.util.Collections.nCopies(50, ORDERED), more);
      }
      await()
          .atMost(Duration.ofSeconds(120))
          .until(
              () -> db.queryLong("SELECT count(*) FROM events WHERE status <> 'processed'") == 0);
    } finally {
      workers.forEach(RunningWorker::close);
    }
    assertEquals(
        5000, db.queryLong("SELECT count(DISTINCT event_id) FROM step_log"), "every event once");
    assertEquals(5000, db.queryLong("SELECT count(*) FROM step_log"), "none twice");
    assertTrue(db.queryLong("SELECT count(*) FROM events WHERE attempts > 1") >= 100);
    Map<Integer, List<Long>> byUser = processingOrder(ORDERED);
    assertEquals(80, byUser.size());
    byUser.forEach(
        (user, order) ->
            assertEquals(order.stream().sorted().toList(), order, "user " + user + "'s order"));
  }

  @Test
  void aRetryingEventHoldsBackItsUserOnly() throws Exception {
    setUp(2);
    long head = insert(ORDERED, 1);
    long second = insert(ORDERED, 1);
    long third = insert(ORDERED, 1);
    List<Long> other = List.of(insert(ORDERED, 2), insert(ORDERED, 2), insert(ORDERED, 2));
    failing.add(head);
    try (RunningWorker w = worker("2", "100", "100")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> status(other.get(2)).equals("processed 1"));
      await().atMost(Duration.ofSeconds(30)).until(() -> attempts(head) >= 3);
      // Claimed with its head in one batch, then with every retry: never run, never charged.
      assertEquals("pending 0", status(second));
      assertEquals("pending 0", status(third));
      failing.remove(head);
      await().atMost(Duration.ofSeconds(30)).until(() -> status(third).startsWith("processed"));
    }
    assertEquals(List.of(head, second, third), processingOrder(ORDERED).get(1));
    assertEquals(other, processingOrder(ORDERED).get(2));
  }

  @Test
  void aFailedEventNoLongerHoldsBackAndRetryPutsItFirst() throws Exception {
    setUp(1);
    long head = insert(ORDERED, 1);
    long second = insert(ORDERED, 1);
    long invalid = insertData(ORDERED, 1, "{\"invalid\": true}");
    long third = insert(ORDERED, 1);
    failing.add(head);
    try (RunningWorker w = worker("2", "100")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> status(third).startsWith("processed"));
    }
    assertEquals("failed 3", status(head), "given up after MAX_ATTEMPTS");
    assertEquals("failed 1", status(invalid), "failed at once");
    assertEquals(List.of(second, third), processingOrder(ORDERED).get(1));

    // Back in the queue, it goes before the user's events still pending.
    long fourth = insert(ORDERED, 1);
    failing.remove(head);
    Cli.Result retried = Cli.run(db.env(), "retry", "--id", Long.toString(head));
    assertEquals(0, retried.status(), retried.toString());
    try (RunningWorker w = worker("2", "100")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> status(fourth).startsWith("processed"));
    }
    assertEquals(List.of(second, third, head, fourth), processingOrder(ORDERED).get(1));
  }

  @Test
  void aBatchRefusedAtCommitIsRedoneInEachUsersOrder() throws Exception {
    setUp(2);
    // A deferred check refuses the whole batch at commit; it is redone one event at a time,
    // and the events behind a retrying head must not be taken out of turn then either.
    db.execute(
        """
        CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.user_id = 2 AND NEW.event_id = (SELECT max(id) FROM events) THEN
            RAISE check_violation USING MESSAGE = 'poison';
          END IF;
          RETURN NULL;
        END $$\
        """,
        "CREATE CONSTRAINT TRIGGER refuse_poison AFTER INSERT ON step_log"
            + " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION refuse_poison()");
    long head = insert(ORDERED, 1);
    long second = insert(ORDERED, 1);
    long third = insert(ORDERED, 1);
    long poison = insert(ORDERED, 2);
    failing.add(head);
    try (RunningWorker w = worker("1", "100", "100")) {
      await().atMost(Duration.ofSeconds(30)).until(() -> status(poison).startsWith("failed"));
      await().atMost(Duration.ofSeconds(30)).until(() -> attempts(head) >= 2);
      assertEquals("pending 0", status(second));
      assertEquals("pending 0", status(third));
      failing.remove(head);
      await().atMost(Duration.ofSeconds(30)).until(() -> status(third).startsWith("processed"));
    }
    assertEquals(List.of(head, second, third), processingOrder(ORDERED).get(1));
  }

  @Test
  void runRefusesAnOrderedTypeItHasNoHandlerFor() {
    Cli.Result run = Cli.run(db.env("ORDERED_EVENT_TYPES", "data_entry,data_entyr"), "run");
    assertEquals(2, run.status(), run.toString());
    assertTrue(
        run.err()
            .contains(
                "ORDERED_EVENT_TYPES=data_entry,data_entyr: no handler here for" + " data_entyr"),
        run.toString());
  }

  @Test
  void onlyMigrateWithOrderedTypesBuildsTheIndexAndRunRefusesToOrderWithoutIt() throws Exception {
    // A deployment that orders nothing spares its producers the index.
    db.execute("DROP INDEX idx_events_ordered");
    Cli.Result plain = Cli.run(db.env(), "migrate");
    assertEquals(0, plain.status(), plain.toString());
    assertEquals(0, db.queryLong(INDEX_COUNT));
    Cli.Result run = Cli.run(db.env("ORDERED_EVENT_TYPES", "data_entry", "HTTP_PORT", "0"), "run");
    assertEquals(1, run.status(), run.toString());

    Cli.Result ordered = Cli.run(db.env("ORDERED_EVENT_TYPES", "data_entry"), "migrate");
    assertEquals(0, ordered.status(), ordered.toString());
    assertTrue(ordered.out().contains("built idx_events_ordered"), ordered.toString());
    assertEquals(1, db.queryLong(INDEX_COUNT + " AND indisvalid"));
    // Once built, migrate leaves it.
    Cli.Result again = Cli.run(db.env("ORDERED_EVENT_TYPES", "data_entry"), "migrate");
    assertFalse(again.out().contains("built"), again.toString());
  }

  private static final String INDEX_COUNT =
      "SELECT count(*) FROM pg_index WHERE indexrelid = to_regclass('idx_events_ordered')";

  private RunningWorker worker(String threads, String batch) {
    return worker(threads, batch, "3");
  }

  private RunningWorker worker(String threads, String batch, String maxAttempts) {
    EventHandler ordered = TestHandler.of(ORDERED, this::handle);
    EventHandler plain = TestHandler.of(PLAIN, this::handle);
    return RunningWorker.start(
        db.config(
            "ORDERED_EVENT_TYPES",
            ORDERED,
            "WORKER_THREADS",
            threads,
            "DB_POOL_SIZE",
            Integer.toString(Integer.parseInt(threads) + 1),
            "BATCH_SIZE",
            batch,
            "POLL_INTERVAL",
            "50ms",
            "RETRY_BACKOFF",
            "100ms",
            "RETRY_BACKOFF_MAX",
            "100ms",
            "MAX_ATTEMPTS",
            maxAttempts),
        Handlers.of(List.of(ordered, plain)),
        WorkerMetrics.NONE);
  }

  private void handle(io.eventworker.handler.Event event, io.eventworker.handler.Rows rows)
      throws io.eventworker.handler.InvalidEventException {
    if (event.json().contains("invalid")) {
      throw new io.eventworker.handler.InvalidEventException("marked invalid");
    }
    if (failing.contains(event.id()) || failOnce.remove(event.id())) {
      throw new IllegalStateException("failing on purpose");
    }
    rows.insert(STEP, event.id(), event.userId());
  }

  private void setUp(int users) throws SQLException {
    db.execute(
        "CREATE TABLE step_log (seq bigserial PRIMARY KEY, event_id int8 NOT NULL, user_id int4)",
        "INSERT INTO users (name, email) SELECT 'u' || g, 'u' || g || '@example.org'"
            + " FROM generate_series(1, "
            + users
            + ") AS g");
  }

  private long insert(String type, Integer user) throws SQLException {
    return insertData(type, user, "{}");
  }

  private long insertData(String type, Integer user, String data) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO events (event_type, user_id, data) VALUES (?, ?, ?::jsonb)"
                    + " RETURNING id")) {
      ps.setString(1, type);
      ps.setObject(2, user);
      ps.setString(3, data);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /** Inserts events of {@code types} and {@code users} in one statement, in list order. */
  private List<Long> insertAll(List<String> types, List<Integer> users) throws SQLException {
    List<Long> ids = new ArrayList<>();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "INSERT INTO events (event_type, user_id, data)"
                    + " SELECT t, u, '{}' FROM unnest(?::text[], ?::int4[]) WITH ORDINALITY"
                    + " AS x (t, u, i) ORDER BY i RETURNING id")) {
      ps.setArray(1, c.createArrayOf("text", types.toArray()));
      ps.setArray(2, c.createArrayOf("int4", users.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          ids.add(rs.getLong(1));
        }
      }
    }
    ids.sort(null);
    return ids;
  }

  private String status(long id) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT status || ' ' || attempts FROM events WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private long attempts(long id) throws SQLException {
    return db.queryLong("SELECT attempts FROM events WHERE id = " + id);
  }

  /** By user, the ids of their events of {@code type} in the order their rows were written. */
  private Map<Integer, List<Long>> processingOrder(String type) throws SQLException {
    Map<Integer, List<Long>> byUser = new HashMap<>();
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT l.user_id, l.event_id FROM step_log l JOIN events e ON e.id = l.event_id"
                    + " WHERE e.event_type = ? AND l.user_id IS NOT NULL ORDER BY l.seq")) {
      ps.setString(1, type);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          byUser.computeIfAbsent(rs.getInt(1), u -> new ArrayList<>()).add(rs.getLong(2));
        }
      }
    }
    return byUser;
  }
}
