package io.eventworker.bench;

import io.eventworker.handler.builtin.DataEntryHandler;
import io.eventworker.queue.OrderedClaims;
import java.io.IOException;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * ORDERED_EVENT_TYPES (docs/ORDERING.md): the worker's throughput on data entries of 1,000 users
 * and of 10, with the type ordered against the same events unordered. Each round starts worker
 * processes of its own, with the setting or without, warms them up on a tenth as many events, then
 * times the drain; rounds alternate.
 */
final class OrderingCost implements FeatureCase {

  private static final int[] KEYS = {1_000, 10};

  // Data entries spread round-robin over the first {keys} users, as a producer of many users'
  // interleaved events sends them.
  private static final String EVENTS =
      """
      INSERT INTO events (event_type, user_id, data)
      SELECT ?, 1 + g % ?,
             jsonb_build_object('key', 'setting-' || g, 'value', jsonb_build_object('enabled', g % 3 = 0),
                                'type', 'preference', 'metadata', jsonb_build_object('source', 'bench'))
      FROM generate_series(1, ?) AS g
      """;

  private static final String USERS =
      """
      INSERT INTO users (name, email)
      SELECT 'ordering ' || g, 'ordering' || g || '@bench.example' FROM generate_series(1, ?) g
      """;

  @Override
  public String name() {
    return "ordering";
  }

  @Override
  public void run(BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream out)
      throws Exception {
    addUsers(db, KEYS[0]);
    // What migrate builds when ORDERED_EVENT_TYPES is set; both kinds of round run with it.
    try (Connection c = db.connect()) {
      OrderedClaims.buildIndex(c);
    }
    try {
      measure(db, options, report, out);
    } finally {
      // The cases after this one measure a database that orders nothing.
      db.execute("DROP INDEX IF EXISTS idx_events_ordered");
    }
  }

  private void measure(
      BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream out)
      throws Exception {
    long n = options.events();
    int rounds = options.quick() ? 2 : 4;
    List<List<String>> lines = new ArrayList<>();
    for (int keys : KEYS) {
      out.println(
          "bench: ordering: " + n + " data entries of " + keys + " users, " + rounds + " rounds");
      PairedRounds.Result r =
          PairedRounds.run(
              db,
              rounds,
              () -> drain(db, options, n, keys, false),
              () -> drain(db, options, n, keys, true));
      String key = "ordering_" + keys + "_keys";
      report.throughput(
          key + "_unordered", "unordered, " + keys + " users", n, r.without(), null, "", null);
      report.throughput(
          key, "ordered, " + keys + " users", n, r.with(), r.ratio(), "of unordered", null);
      lines.add(
          List.of(
              Integer.toString(keys),
              String.format("%,.0f/s", n / r.without()),
              String.format("%,.0f/s", n / r.with()),
              String.format("%.2f", r.ratio())));
    }
    out.println(
        report.table(
            "ordering",
            "ORDERED_EVENT_TYPES=data_entry against unordered, same events",
            List.of("users", "unordered", "ordered", "ratio"),
            lines));
  }

  /**
   * One round: worker processes with the type ordered or not, warmed up, then timed draining {@code
   * n} data entries of {@code keys} users.
   */
  private static double drain(
      BenchDatabase db, Benchmark.Options options, long n, int keys, boolean ordered)
      throws Exception {
    Map<String, String> settings =
        ordered ? Map.of("ORDERED_EVENT_TYPES", DataEntryHandler.TYPE) : Map.of();
    try (WorkerGroup workers = WorkerGroup.start(db, options, settings)) {
      long warmUp = Math.max(keys, n / 10);
      insert(db, warmUp, keys);
      if (!workers.awaitProcessed(warmUp, Duration.ofMinutes(10))) {
        throw new IOException("the warm-up events were not processed within 10 minutes");
      }
      return PairedRounds.secondsToProcess(workers, n, () -> insert(db, n, keys));
    }
  }

  private static void insert(BenchDatabase db, long count, int keys) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(EVENTS)) {
      ps.setString(1, DataEntryHandler.TYPE);
      ps.setInt(2, keys);
      ps.setLong(3, count);
      ps.executeUpdate();
    }
  }

  /** Users up to id {@code count}, beyond the bench database's own. */
  private static void addUsers(BenchDatabase db, int count) throws SQLException {
    long have = db.queryLong("SELECT count(*) FROM users");
    if (have < count) {
      try (Connection c = db.connect();
          PreparedStatement ps = c.prepareStatement(USERS)) {
        ps.setLong(1, count - have);
        ps.executeUpdate();
      }
    }
  }
}
