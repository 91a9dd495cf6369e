package io.eventworker.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * End-to-end latency, from just before a producer's INSERT to the commit that marks the event
 * processed. A benchmark-only trigger notifies when an event carrying a "probe" field is processed;
 * the notification arrives when that transaction commits.
 */
final class LatencyProbe implements AutoCloseable {

  private static final String CHANNEL = "bench_probe_processed";
  private static final String INSTALL =
      """
      CREATE OR REPLACE FUNCTION bench_probe_processed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('bench_probe_processed', NEW.id::text);
        RETURN NULL;
      END $$;
      DROP TRIGGER IF EXISTS bench_probe_processed ON events;
      CREATE TRIGGER bench_probe_processed AFTER UPDATE OF status ON events
        FOR EACH ROW WHEN (NEW.status = 'processed' AND jsonb_exists(NEW.data, 'probe'))
        EXECUTE FUNCTION bench_probe_processed();
      """;
  private static final String UNINSTALL =
      "DROP TRIGGER IF EXISTS bench_probe_processed ON events; DROP FUNCTION IF EXISTS"
          + " bench_probe_processed()";
  private static final String INSERT_PROBE =
      """
      INSERT INTO events (event_type, user_id, data)
      VALUES ('data_entry', 1, jsonb_build_object('key', 'probe', 'value', 1, 'probe', true))
      RETURNING id
      """;
  // A chunk of a steady producer: {@code ?} events, of which the first is a probe.
  private static final String INSERT_CHUNK =
      """
      INSERT INTO events (event_type, user_id, data)
      SELECT CASE WHEN g % 2 = 1 THEN 'data_entry' ELSE 'metric' END, 1,
             CASE WHEN g = 1 THEN jsonb_build_object('key', 'probe', 'value', 1, 'probe', true)
                  WHEN g % 2 = 1 THEN jsonb_build_object('key', 'load-' || g, 'value', g)
                  ELSE jsonb_build_object('name', 'load', 'value', g) END
      FROM generate_series(1, ?) AS g
      RETURNING id, jsonb_exists(data, 'probe')
      """;

  private final BenchDatabase db;
  private final Connection listener;
  private final Map<Long, Long> arrived = new java.util.HashMap<>();
  private final Thread receiver;
  private volatile boolean open = true;

  LatencyProbe(BenchDatabase db) throws SQLException {
    this.db = db;
    db.execute(INSTALL);
    listener = db.connect();
    try (Statement s = listener.createStatement()) {
      s.execute("LISTEN " + CHANNEL);
    }
    receiver = new Thread(this::receive, "bench-latency-listener");
    receiver.setDaemon(true);
    receiver.start();
  }

  private void receive() {
    try {
      PGConnection pg = listener.unwrap(PGConnection.class);
      while (open) {
        PGNotification[] notes = pg.getNotifications(100);
        long now = System.nanoTime();
        if (notes != null && notes.length > 0) {
          synchronized (arrived) {
            for (PGNotification n : notes) {
              arrived.put(Long.parseLong(n.getParameter()), now);
            }
            arrived.notifyAll();
          }
        }
      }
    } catch (SQLException e) {
      if (open) {
        throw new IllegalStateException("latency listener failed", e);
      }
    }
  }

  /** One event at a time on an idle queue, with a random pause between: milliseconds each. */
  List<Double> idle(int samples) throws SQLException {
    List<Double> latencies = new ArrayList<>(samples);
    try (Connection producer = db.connect();
        PreparedStatement insert = producer.prepareStatement(INSERT_PROBE)) {
      for (int i = 0; i < samples; i++) {
        long sent = System.nanoTime();
        long id;
        try (ResultSet rs = insert.executeQuery()) {
          rs.next();
          id = rs.getLong(1);
        }
        Long done = awaitArrival(id, Duration.ofSeconds(10));
        if (done == null) {
          throw new SQLException("probe event " + id + " was not processed within 10 s");
        }
        latencies.add((done - sent) / 1e6);
        // Let the worker's threads go back to waiting, as between a quiet producer's events.
        WorkerInstance.sleep(5 + ThreadLocalRandom.current().nextInt(15));
      }
    }
    return latencies;
  }

  /**
   * A steady producer at {@code eventsPerSecond}, one chunk every 10 ms for {@code duration}, one
   * probe per chunk: milliseconds for each probe.
   */
  List<Double> underLoad(double eventsPerSecond, Duration duration) throws SQLException {
    int perChunk = Math.max(1, (int) Math.round(eventsPerSecond / 100));
    Map<Long, Long> sentAt = new ConcurrentHashMap<>();
    try (Connection producer = db.connect();
        PreparedStatement insert = producer.prepareStatement(INSERT_CHUNK)) {
      insert.setInt(1, perChunk);
      long start = System.nanoTime();
      long end = start + duration.toNanos();
      for (long next = start; next < end; next += 10_000_000L) {
        long wait = next - System.nanoTime();
        if (wait > 0) {
          WorkerInstance.sleep(wait / 1_000_000);
        }
        long sent = System.nanoTime();
        try (ResultSet rs = insert.executeQuery()) {
          while (rs.next()) {
            if (rs.getBoolean(2)) {
              sentAt.put(rs.getLong(1), sent);
            }
          }
        }
      }
    }
    List<Double> latencies = new ArrayList<>(sentAt.size());
    for (Map.Entry<Long, Long> probe : sentAt.entrySet()) {
      Long done = awaitArrival(probe.getKey(), Duration.ofSeconds(30));
      if (done != null) {
        latencies.add((done - probe.getValue()) / 1e6);
      }
    }
    if (latencies.size() < sentAt.size()) {
      throw new SQLException(
          (sentAt.size() - latencies.size()) + " probes were not processed within 30 s");
    }
    return latencies;
  }

  /** The arrival time of a probe's notification, waiting without spinning; null on timeout. */
  private Long awaitArrival(long id, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (arrived) {
      Long done;
      while ((done = arrived.get(id)) == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        try {
          arrived.wait(Math.max(1, left / 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return null;
        }
      }
      return done;
    }
  }

  @Override
  public void close() throws SQLException {
    open = false;
    try {
      receiver.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    listener.close();
    db.execute(UNINSTALL);
  }
}
