package io.eventworker.console;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.console.ConsoleReadings.Reading;
import io.eventworker.db.ConnectionPool;
import io.eventworker.metrics.HttpEndpoint.Reply;
import io.eventworker.metrics.ThroughputHistory;
import io.eventworker.testing.TestDatabase;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jsoup.Jsoup;
import org.jsoup.nodes.Document;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

@Tag("database")
class ConsoleTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  private final AtomicLong nanos = new AtomicLong();
  private final ThroughputHistory throughput =
      new ThroughputHistory(new SimpleMeterRegistry(), System::currentTimeMillis);

  @Test
  void showsTheCountsAndEventsTheDatabaseHolds() throws Exception {
    insertKnownRows();
    try (HikariDataSource pool = pool()) {
      Document page = page(new ConsoleReadings(pool, true, nanos::get));
      assertEquals(count("status = 'pending' AND run_at <= now()"), tile(page, "due"));
      assertEquals(count("status = 'pending' AND run_at > now()"), tile(page, "scheduled"));
      assertEquals(count("status = 'failed'"), tile(page, "failed"));
      assertEquals("≈ " + count("status = 'processed'"), tile(page, "processed"));
      assertTrue(tile(page, "oldest-due").startsWith("10 m "), tile(page, "oldest-due"));
      assertEquals(
          strings(
              "SELECT event_type, count(*) FILTER (WHERE status = 'pending' AND run_at <= now()),"
                  + " count(*) FILTER (WHERE status = 'pending' AND run_at > now()),"
                  + " count(*) FILTER (WHERE status = 'failed') FROM events"
                  + " WHERE status <> 'processed' GROUP BY 1 ORDER BY 1"),
          ConsolePageTest.rows(page, "types").stream().map(r -> r.subList(0, 4)).toList());
      assertEquals(
          strings(
              "SELECT count(*), last_error FROM events WHERE status = 'failed'"
                  + " GROUP BY 2 ORDER BY 1 DESC, 2"),
          ConsolePageTest.rows(page, "errors"));
      assertEquals(
          strings(
              "SELECT id, event_type, attempts, data::text FROM events"
                  + " WHERE status = 'pending' AND run_at > now() ORDER BY run_at, id LIMIT 10"),
          columns(ConsolePageTest.rows(page, "next-scheduled"), 0, 1, 5, 6));
      assertEquals(
          strings(
              "SELECT id, event_type, attempts, last_error, data::text FROM events"
                  + " WHERE status = 'failed' ORDER BY id DESC LIMIT 10"),
          columns(ConsolePageTest.rows(page, "latest-failed"), 0, 1, 5, 6, 7));
    }
  }

  @Test
  void payloadsAreNotReadUnlessShown() throws Exception {
    insertKnownRows();
    try (HikariDataSource pool = pool()) {
      String html =
          new Console(new ConsoleReadings(pool, false, nanos::get), throughput, Set.of(), "r")
              .get()
              .body();
      assertFalse(html.contains("secret-"), html);
      ConsoleView view = new ConsoleReadings(pool, false, nanos::get).current().view();
      assertTrue(
          view.nextScheduled().stream().allMatch(e -> e.payload() == null)
              && view.latestFailed().stream().allMatch(e -> e.payload() == null)
              && !view.latestFailed().isEmpty(),
          view.toString());
    }
  }

  @Test
  void readsAtMostOnceASecondAndATenthOfTheTimeItTakes() throws Exception {
    insertKnownRows();
    try (HikariDataSource pool = pool()) {
      CountingDataSource counted = new CountingDataSource(pool);
      ConsoleReadings readings = new ConsoleReadings(counted, false, nanos::get);
      Reading first = readings.current();
      for (int i = 0; i < 50; i++) {
        assertSame(first, readings.current());
      }
      nanos.addAndGet(999_000_000L);
      assertSame(first, readings.current());
      assertEquals(1, counted.connections.get());
      // The page, too, is rendered once per reading.
      Console console = new Console(readings, throughput, Set.of(), "r");
      Reply page = console.get();
      assertSame(page, console.get());
      nanos.addAndGet(1_000_000L);
      Reply next = console.get();
      Reading second = readings.current();
      assertEquals(2, counted.connections.get());
      assertFalse(next == page, "a new reading, a new page");
      assertSame(next, console.get());
      // A read that takes 300 ms is kept for 3 s.
      counted.slowBy = 300_000_000L;
      nanos.addAndGet(1_000_000_000L);
      Reading slow = readings.current();
      assertEquals(300_000_000L, slow.tookNanos());
      counted.slowBy = 0;
      nanos.addAndGet(2_000_000_000L);
      assertSame(slow, readings.current());
      nanos.addAndGet(1_000_000_000L);
      assertFalse(readings.current() == slow);
      assertEquals(4, counted.connections.get());
      assertFalse(second == first);
    }
  }

  @Test
  void whileOneRequestReadsTheOthersGetTheLastReadingAtOnce() throws Exception {
    try (HikariDataSource pool = pool()) {
      CountingDataSource counted = new CountingDataSource(pool);
      ConsoleReadings readings = new ConsoleReadings(counted, false, nanos::get);
      Reading first = readings.current();
      nanos.addAndGet(5_000_000_000L);
      counted.hold = new CountDownLatch(1);
      CompletableFuture<Reading> reader = CompletableFuture.supplyAsync(readings::current);
      await().atMost(Duration.ofSeconds(10)).until(() -> counted.waiting.get() == 1);
      for (int i = 0; i < 20; i++) {
        assertSame(first, readings.current(), "no wait, no second read");
      }
      counted.hold.countDown();
      Reading fresh = reader.get(10, TimeUnit.SECONDS);
      assertFalse(fresh == first);
      assertSame(fresh, readings.current());
      assertEquals(2, counted.connections.get());
    }
  }

  @Test
  void aDatabaseErrorAnswers503WithTheLastFiguresThenRecovers() throws Exception {
    insertKnownRows();
    try (HikariDataSource pool = pool()) {
      Console console =
          new Console(new ConsoleReadings(pool, false, nanos::get), throughput, Set.of(), "r");
      assertEquals(200, console.get().status());
      db.execute("ALTER TABLE events RENAME TO events_away");
      nanos.addAndGet(2_000_000_000L);
      Reply broken = console.get();
      assertEquals(503, broken.status());
      Document page = Jsoup.parse(broken.body());
      assertTrue(
          page.getElementById("database-error")
              .text()
              .startsWith("database: relation \"events\" does not exist"),
          page.getElementById("database-error").text());
      assertEquals(count("status = 'failed'", "events_away"), tile(page, "failed"));
      db.execute("ALTER TABLE events_away RENAME TO events");
      nanos.addAndGet(2_000_000_000L);
      Reply back = console.get();
      assertEquals(200, back.status());
      assertEquals(null, Jsoup.parse(back.body()).getElementById("database-error"));
    }
  }

  private void insertKnownRows() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data, status, processed_at) SELECT 'data_entry',"
            + " jsonb_build_object('key', 'done-' || g), 'processed', now() FROM"
            + " generate_series(1, 500) g",
        "INSERT INTO events (event_type, data, run_at) SELECT 'invoice',"
            + " jsonb_build_object('n', g), now() - make_interval(mins => CASE WHEN g <= 5 THEN 10"
            + " ELSE 0 END) FROM generate_series(1, 30) g",
        "INSERT INTO events (event_type, data, run_at) SELECT 'data_entry',"
            + " jsonb_build_object('key', 'secret-' || g), now() + make_interval(mins => g) FROM"
            + " generate_series(1, 12) g",
        "INSERT INTO events (event_type, data, status, attempts, processed_at, last_error) SELECT"
            + " 'metric', jsonb_build_object('name', 'secret-' || g), 'failed', 5, LOCALTIMESTAMP"
            + " - make_interval(mins => g), 'boom ' || (g % 3) FROM generate_series(1, 14) g");
    // The processed figure is PostgreSQL's count of live rows, exact once vacuum has counted them.
    await()
        .atMost(Duration.ofSeconds(30))
        .pollInterval(Duration.ofMillis(200))
        .until(
            () -> {
              db.execute("VACUUM ANALYZE events");
              return db.queryLong(
                      "SELECT n_live_tup FROM pg_stat_user_tables WHERE relid = 'events'::regclass")
                  == db.queryLong("SELECT count(*) FROM events");
            });
  }

  private HikariDataSource pool() {
    return ConnectionPool.create(db.config(), null, ConnectionPool.Use.DAEMON);
  }

  private Document page(ConsoleReadings readings) {
    Reply reply = new Console(readings, throughput, Set.of("data_entry", "invoice"), "r").get();
    assertEquals(200, reply.status(), reply.body());
    return Jsoup.parse(reply.body());
  }

  private static String tile(Document page, String id) {
    return page.getElementById(id).selectFirst("b").text();
  }

  private String count(String where) throws SQLException {
    return count(where, "events");
  }

  private String count(String where, String table) throws SQLException {
    return ConsoleFormat.count(db.queryLong("SELECT count(*) FROM " + table + " WHERE " + where));
  }

  /** Each row of a query as text, numbers written as the console writes them. */
  private List<List<String>> strings(String sql) throws SQLException {
    return db.textRows(
        sql,
        (column, value) ->
            value instanceof Long l && !column.equals("id")
                ? ConsoleFormat.count(l)
                : String.valueOf(value));
  }

  private static List<List<String>> columns(List<List<String>> rows, int... indexes) {
    List<List<String>> picked = new ArrayList<>();
    for (List<String> row : rows) {
      List<String> cells = new ArrayList<>();
      for (int i : indexes) {
        cells.add(row.get(i));
      }
      picked.add(cells);
    }
    return picked;
  }

  /** The pool, counting the connections taken; optionally slow or held at the start of a read. */
  private final class CountingDataSource implements DataSource {
    private final DataSource pool;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger waiting = new AtomicInteger();
    volatile long slowBy;
    volatile CountDownLatch hold;

    CountingDataSource(DataSource pool) {
      this.pool = pool;
    }

    @Override
    public Connection getConnection() throws SQLException {
      connections.incrementAndGet();
      nanos.addAndGet(slowBy);
      CountDownLatch latch = hold;
      if (latch != null) {
        waiting.incrementAndGet();
        try {
          latch.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        hold = null;
      }
      return pool.getConnection();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      return getConnection();
    }

    @Override
    public PrintWriter getLogWriter() throws SQLException {
      return pool.getLogWriter();
    }

    @Override
    public void setLogWriter(PrintWriter out) throws SQLException {
      pool.setLogWriter(out);
    }

    @Override
    public void setLoginTimeout(int seconds) throws SQLException {
      pool.setLoginTimeout(seconds);
    }

    @Override
    public int getLoginTimeout() throws SQLException {
      return pool.getLoginTimeout();
    }

    @Override
    public Logger getParentLogger() {
      return Logger.getGlobal();
    }

    @Override
    public <T> T unwrap(Class<T> type) throws SQLException {
      return pool.unwrap(type);
    }

    @Override
    public boolean isWrapperFor(Class<?> type) throws SQLException {
      return pool.isWrapperFor(type);
    }
  }
}
