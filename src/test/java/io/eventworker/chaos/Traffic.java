package io.eventworker.chaos;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The chaos suite's events, numbered from 1: event {@code seq} carries {@code "seq": seq} in its
 * payload (an unknown field, ignored by the handlers) and is
 *
 * <ul>
 *   <li>a {@code data_entry} with key {@code k-seq} when seq is odd, a {@code metric} named {@code
 *       m-seq} when even;
 *   <li>invalid when seq is a multiple of {@value #INVALID_EVERY} (about 1%): an entry without its
 *       key, a metric whose value is not a number.
 * </ul>
 *
 * Keys and names are unique, so each valid event's row can be found, and a duplicate shows as a
 * repeated key. The expected outcome of event seq follows from seq alone (see {@link Invariant}).
 */
final class Traffic {

  static final int INVALID_EVERY = 97;

  private static final String INSERT =
      """
      INSERT INTO events (event_type, user_id, data)
      SELECT CASE WHEN g % 2 = 1 THEN 'data_entry' ELSE 'metric' END,
             NULL,
             CASE
               WHEN g % {every} = 0 AND g % 2 = 1 THEN jsonb_build_object('seq', g, 'value', g)
               WHEN g % {every} = 0 THEN jsonb_build_object('seq', g, 'name', 'm-' || g, 'value', 'not a number')
               WHEN g % 2 = 1 THEN jsonb_build_object('seq', g, 'key', 'k-' || g, 'value', g, 'type', 'chaos')
               ELSE jsonb_build_object('seq', g, 'name', 'm-' || g, 'value', g * 0.5, 'tags',
                 jsonb_build_object('seq', g))
             END
      FROM generate_series(?::int, ?::int) AS g
      ORDER BY g
      """
          .replace("{every}", Integer.toString(INVALID_EVERY));

  private Traffic() {}

  /** Inserts events from..to (inclusive) in one statement: one NOTIFY for all of them. */
  static void insert(Connection c, int from, int to) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(INSERT)) {
      ps.setInt(1, from);
      ps.setInt(2, to);
      ps.executeUpdate();
    }
  }

  /** Inserts events from..to in statements of {@code chunk} events. */
  static void insertInChunks(ChaosDatabase db, int from, int to, int chunk) throws SQLException {
    try (Connection c = db.connect()) {
      for (int start = from; start <= to; start += chunk) {
        insert(c, start, Math.min(to, start + chunk - 1));
      }
    }
  }

  /**
   * Producers inserting events first..last at a steady rate, {@code perStatement} events per INSERT
   * (so the insert trigger's NOTIFY fires once per statement), from {@code threads} connections of
   * their own. Statement k is due at start + k * perStatement / rate; a producer that falls behind
   * catches up at once.
   */
  static final class Producer implements AutoCloseable {
    private final List<Thread> threads = new ArrayList<>();
    private final AtomicInteger next;
    private final AtomicInteger inserted = new AtomicInteger();
    private final AtomicReference<Throwable> error = new AtomicReference<>();
    private volatile boolean stopped;
    private long startedNanos;
    private volatile long finishedNanos;

    private Producer(int first) {
      this.next = new AtomicInteger(first);
    }

    static Producer start(
        ChaosDatabase db,
        int first,
        int last,
        int perStatement,
        double eventsPerSecond,
        int threadCount) {
      Producer p = new Producer(first);
      p.startedNanos = System.nanoTime();
      double nanosPerStatement = perStatement * 1e9 / eventsPerSecond;
      AtomicInteger running = new AtomicInteger(threadCount);
      for (int t = 0; t < threadCount; t++) {
        Thread thread =
            new Thread(
                () -> {
                  try (Connection c = db.connect()) {
                    while (!p.stopped) {
                      int from = p.next.getAndAdd(perStatement);
                      if (from > last) {
                        break;
                      }
                      int to = Math.min(last, from + perStatement - 1);
                      long due =
                          p.startedNanos
                              + (long) (((from - first) / perStatement) * nanosPerStatement);
                      long wait = due - System.nanoTime();
                      if (wait > 0) {
                        Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                      }
                      insert(c, from, to);
                      p.inserted.addAndGet(to - from + 1);
                    }
                  } catch (Throwable e) {
                    p.error.compareAndSet(null, e);
                  } finally {
                    if (running.decrementAndGet() == 0) {
                      p.finishedNanos = System.nanoTime();
                    }
                  }
                },
                "chaos-producer-" + t);
        thread.setDaemon(true);
        p.threads.add(thread);
        thread.start();
      }
      return p;
    }

    /** Waits until every event is inserted; fails if a producer failed. */
    void await(Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      for (Thread t : threads) {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
        if (t.isAlive()) {
          throw new AssertionError("producers did not finish in " + timeout);
        }
      }
      check();
    }

    /** Fails if a producer failed. */
    void check() {
      Throwable e = error.get();
      if (e != null) {
        throw new AssertionError("a producer failed: " + e, e);
      }
    }

    boolean done() {
      return threads.stream().noneMatch(Thread::isAlive);
    }

    int inserted() {
      return inserted.get();
    }

    /** Events inserted per second, from start to the last insert. */
    double rate() {
      long end = finishedNanos == 0 ? System.nanoTime() : finishedNanos;
      return inserted.get() / ((end - startedNanos) / 1e9);
    }

    @Override
    public void close() throws InterruptedException {
      stopped = true;
      for (Thread t : threads) {
        t.join(10_000);
      }
    }
  }
}
