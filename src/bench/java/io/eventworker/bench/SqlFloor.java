package io.eventworker.bench;

import io.eventworker.handler.builtin.DataEntryHandler;
import io.eventworker.handler.builtin.MetricHandler;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * PostgreSQL's own limit for the worker's work on this server: each batch claimed with FOR UPDATE
 * SKIP LOCKED, its data_entries or metrics rows inserted and its events marked processed by one SQL
 * statement, one type at a time as the worker claims, from as many connections as the worker has
 * threads. No round trips but one per batch, no client-side work at all.
 *
 * <p>Its events carry types of their own, which no handler claims: the floor and the workers take
 * turns in one database, the workers idle while the floor drains. SqlFloorTest proves that its
 * statements write the rows the real handlers write.
 */
final class SqlFloor {

  static final String DATA_ENTRY = "sql-floor:" + DataEntryHandler.TYPE;
  static final String METRIC = "sql-floor:" + MetricHandler.TYPE;

  static final String DATA_ENTRIES =
      """
      WITH claimed AS (
        SELECT id, user_id, data FROM events
        WHERE status = 'pending' AND event_type = ? AND run_at <= now()
        ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED
      ), written AS (
        INSERT INTO data_entries (user_id, key, value, type, metadata)
        SELECT user_id, data->>'key',
               CASE jsonb_typeof(data->'value') WHEN 'string' THEN data->>'value' WHEN 'null' THEN NULL
                    ELSE (data->'value')::text END,
               data->>'type', data->'metadata'
        FROM claimed
      )
      UPDATE events e SET status = 'processed', processed_at = CURRENT_TIMESTAMP, attempts = e.attempts + 1
      FROM claimed c WHERE e.id = c.id
      """;

  static final String METRICS =
      """
      WITH claimed AS (
        SELECT id, data FROM events
        WHERE status = 'pending' AND event_type = ? AND run_at <= now()
        ORDER BY run_at, id LIMIT ? FOR UPDATE SKIP LOCKED
      ), written AS (
        INSERT INTO metrics (metric_name, metric_value, tags)
        SELECT data->>'name', (data->>'value')::numeric, data->'tags' FROM claimed
      )
      UPDATE events e SET status = 'processed', processed_at = CURRENT_TIMESTAMP, attempts = e.attempts + 1
      FROM claimed c WHERE e.id = c.id
      """;

  private SqlFloor() {}

  /** Processes every pending event; returns the seconds it took. */
  static double drain(BenchDatabase db, int connections, int batchSize)
      throws SQLException, InterruptedException {
    AtomicLong done = new AtomicLong();
    List<Thread> threads = new ArrayList<>();
    List<SQLException> errors = new ArrayList<>();
    long started = System.nanoTime();
    for (int i = 0; i < connections; i++) {
      int first = i;
      Thread t =
          new Thread(
              () -> {
                try (Connection c = db.connect();
                    PreparedStatement entries = c.prepareStatement(DATA_ENTRIES);
                    PreparedStatement metrics = c.prepareStatement(METRICS)) {
                  c.setAutoCommit(true);
                  entries.setString(1, DATA_ENTRY);
                  entries.setInt(2, batchSize);
                  metrics.setString(1, METRIC);
                  metrics.setInt(2, batchSize);
                  PreparedStatement[] byType = {entries, metrics};
                  int idle = 0;
                  // Alternate types like the worker; stop when both come back empty.
                  for (int turn = first; idle < byType.length; turn++) {
                    int n = byType[turn % byType.length].executeUpdate();
                    done.addAndGet(n);
                    idle = n == 0 ? idle + 1 : 0;
                  }
                } catch (SQLException e) {
                  synchronized (errors) {
                    errors.add(e);
                  }
                }
              },
              "sql-floor-" + i);
      threads.add(t);
      t.start();
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!errors.isEmpty()) {
      throw errors.get(0);
    }
    return (System.nanoTime() - started) / 1e9;
  }
}
