package io.eventworker.console;

import io.eventworker.db.DatabaseErrors;
import io.eventworker.db.Transactions;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongSupplier;
import javax.sql.DataSource;

/**
 * The console's reads of the database, kept so that any number of page loads cost at most one set
 * of queries a second, and never more than a tenth of one connection's time: a reading is reused
 * for a second, or ten times as long as it took when that is longer. One request at a time reads;
 * the others meanwhile get the last reading at once, so that a reload storm holds neither the
 * database nor more than one of the endpoint's threads (health probes keep theirs).
 */
public final class ConsoleReadings {

  static final long MIN_AGE_NANOS = 1_000_000_000L;
  static final int COST_SHARE = 10;

  private final DataSource dataSource;
  private final boolean payloads;
  private final LongSupplier nanoTime;
  private final ReentrantLock reading = new ReentrantLock();
  private volatile Reading last;

  /**
   * What the database said, and when: {@code view} is the latest view read (null until one is) at
   * {@code viewAtMillis} (wall clock), {@code error} why the latest read failed (null when it did
   * not).
   */
  public record Reading(
      ConsoleView view, long viewAtMillis, String error, long readAtNanos, long tookNanos) {}

  public ConsoleReadings(DataSource dataSource, boolean payloads, LongSupplier nanoTime) {
    this.dataSource = dataSource;
    this.payloads = payloads;
    this.nanoTime = nanoTime;
  }

  /** Whether payloads are read and shown (CONSOLE_SHOW_PAYLOADS). */
  public boolean payloads() {
    return payloads;
  }

  /** The latest reading, read again first if it is due and no other request is reading. */
  public Reading current() {
    Reading known = last;
    if (known != null && fresh(known)) {
      return known;
    }
    if (known == null) {
      reading.lock();
    } else if (!reading.tryLock()) {
      return known;
    }
    try {
      Reading latest = last;
      if (latest != null && fresh(latest)) {
        return latest;
      }
      last = read(latest);
      return last;
    } finally {
      reading.unlock();
    }
  }

  private boolean fresh(Reading r) {
    long age = nanoTime.getAsLong() - r.readAtNanos();
    return age < Math.max(MIN_AGE_NANOS, COST_SHARE * r.tookNanos());
  }

  /** The server's own words where it answered, otherwise why it could not be reached. */
  private static String problem(Exception e) {
    java.sql.SQLException sql = DatabaseErrors.innermostSqlError(e);
    boolean answered =
        sql instanceof org.postgresql.util.PSQLException p && p.getServerErrorMessage() != null;
    return "database: " + (answered ? DatabaseErrors.describe(sql) : DatabaseErrors.reason(e));
  }

  private Reading read(Reading previous) {
    long started = nanoTime.getAsLong();
    try {
      ConsoleView view = Transactions.read(dataSource, c -> ConsoleView.read(c, payloads));
      return new Reading(
          view, System.currentTimeMillis(), null, started, nanoTime.getAsLong() - started);
    } catch (Exception e) {
      return new Reading(
          previous == null ? null : previous.view(),
          previous == null ? 0 : previous.viewAtMillis(),
          problem(e),
          started,
          nanoTime.getAsLong() - started);
    }
  }
}
