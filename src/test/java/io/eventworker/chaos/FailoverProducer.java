package io.eventworker.chaos;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Producers that keep inserting {@link Traffic} events through a failover, as a real producer
 * would: each INSERT (one transaction) that returned is acknowledged; one that failed is in doubt
 * (its commit may or may not have happened) and is not sent again, so that a retry cannot be what
 * duplicates an event; then the producer reconnects through the same multi-host URL, which finds
 * the new primary, and goes on with the next events.
 */
final class FailoverProducer implements AutoCloseable {

  private final String jdbcUrl;
  private final List<Thread> threads = new ArrayList<>();
  private final AtomicInteger next;
  private final BitSet acknowledged = new BitSet();
  private final BitSet inDoubt = new BitSet();
  private final AtomicInteger failedStatements = new AtomicInteger();
  private volatile boolean stopped;

  private FailoverProducer(String jdbcUrl, int first) {
    this.jdbcUrl = jdbcUrl;
    this.next = new AtomicInteger(first);
  }

  /** Inserts events first..last at {@code rate} a second, {@code perStatement} per INSERT. */
  static FailoverProducer start(
      String jdbcUrl, int first, int last, int perStatement, double rate, int threadCount) {
    FailoverProducer p = new FailoverProducer(jdbcUrl, first);
    long started = System.nanoTime();
    double nanosPerStatement = perStatement * 1e9 / rate;
    for (int t = 0; t < threadCount; t++) {
      Thread thread =
          new Thread(
              () -> p.produce(first, last, perStatement, started, nanosPerStatement),
              "failover-producer-" + t);
      thread.setDaemon(true);
      p.threads.add(thread);
      thread.start();
    }
    return p;
  }

  private void produce(int first, int last, int perStatement, long started, double nanosPer) {
    Connection c = null;
    try {
      while (!stopped) {
        int from = next.getAndAdd(perStatement);
        if (from > last) {
          break;
        }
        int to = Math.min(last, from + perStatement - 1);
        long wait =
            started + (long) (((from - first) / perStatement) * nanosPer) - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        while (c == null && !stopped) {
          c = connect();
        }
        try {
          Traffic.insert(c, from, to);
          mark(acknowledged, from, to);
        } catch (SQLException e) {
          mark(inDoubt, from, to);
          failedStatements.incrementAndGet();
          close(c);
          c = null;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      close(c);
    }
  }

  /** A connection to whichever host is the primary now, or null after a short pause. */
  private Connection connect() throws InterruptedException {
    Properties props = new Properties();
    props.setProperty("user", "postgres");
    props.setProperty("connectTimeout", "2");
    props.setProperty("socketTimeout", "10");
    try {
      return DriverManager.getConnection(jdbcUrl, props);
    } catch (SQLException e) {
      Thread.sleep(50);
      return null;
    }
  }

  /**
   * Inserts events from..to in one statement now, on a connection of its own, and counts them
   * acknowledged: a burst on top of the steady traffic.
   */
  void burst(int from, int to) throws SQLException, InterruptedException {
    Connection c = connect();
    if (c == null) {
      throw new SQLException("no primary to send the burst to");
    }
    try (c) {
      Traffic.insert(c, from, to);
      mark(acknowledged, from, to);
    }
  }

  private synchronized void mark(BitSet set, int from, int to) {
    set.set(from, to + 1);
  }

  private static void close(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        // already broken
      }
    }
  }

  /** Events whose INSERT returned. */
  synchronized BitSet acknowledged() {
    return (BitSet) acknowledged.clone();
  }

  /** Events whose INSERT failed: stored or not, nobody can tell without looking. */
  synchronized BitSet inDoubt() {
    return (BitSet) inDoubt.clone();
  }

  int failedStatements() {
    return failedStatements.get();
  }

  synchronized int acknowledgedCount() {
    return acknowledged.cardinality();
  }

  boolean done() {
    return threads.stream().noneMatch(Thread::isAlive);
  }

  @Override
  public void close() throws InterruptedException {
    stopped = true;
    for (Thread t : threads) {
      t.join(15_000);
    }
  }
}
