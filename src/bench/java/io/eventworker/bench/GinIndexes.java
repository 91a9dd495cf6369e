package io.eventworker.bench;

import io.eventworker.testing.JsonIndexScript;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The opt-in GIN indexes of database/json-indexes.sql: what they save the queries they serve, on
 * tables of a million rows (each query timed with and without its index, the latter in a
 * transaction that drops it and rolls back), and what they cost the worker's writes to those tables
 * (its throughput with and without them, in alternated pairs of rounds).
 */
final class GinIndexes implements FeatureCase {

  private static final String METRICS =
      """
      INSERT INTO metrics (metric_name, metric_value, tags)
      SELECT 'request_ms', g % 1000, jsonb_build_object('route', '/api/' || g % 1000,
                                                        'host', 'web-' || g % 7)
      FROM generate_series(1, ?) g
      """;
  private static final String DATA_ENTRIES =
      """
      INSERT INTO data_entries (user_id, key, value, type, metadata)
      SELECT 1 + g % ?, 'setting-' || g, 'on', 'preference',
             jsonb_build_object('source', 'source-' || g % 1000, 'version', g % 10)
      FROM generate_series(1, ?) g
      """;

  /** A query the indexes serve, and the index it should use. */
  private record Query(String key, String sql, String index) {}

  private static final List<Query> QUERIES =
      List.of(
          new Query(
              "metrics_by_tags",
              "SELECT count(*), avg(metric_value) FROM metrics"
                  + " WHERE tags @> '{\"route\": \"/api/42\"}'",
              "idx_metrics_tags"),
          new Query(
              "data_entries_by_metadata",
              "SELECT count(*) FROM data_entries WHERE metadata @> '{\"source\": \"source-42\"}'",
              "idx_data_entries_metadata"));

  @Override
  public String name() {
    return "gin-indexes";
  }

  @Override
  public void run(BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream out)
      throws Exception {
    long rows = Math.min(1_000_000, options.events() * 5);
    queries(db, rows, options, report, out);
    writes(db, rows, options, report, out);
  }

  /**
   * The worker's throughput on top of the tables the queries left, with the indexes (rebuilt before
   * each such round, outside its time) and without (dropped), in alternated pairs; the ratio is the
   * median of each pair's own.
   */
  private static void writes(
      BenchDatabase db, long rows, Benchmark.Options options, BenchReport report, PrintStream out)
      throws Exception {
    long n = options.events();
    int rounds = options.quick() ? 2 : 8;
    out.println(
        "bench: gin-indexes: worker throughput on "
            + rows
            + " rows, "
            + n
            + " events a round, "
            + rounds
            + " pairs of rounds");
    List<Double> with = new ArrayList<>();
    List<Double> without = new ArrayList<>();
    List<Double> ratios = new ArrayList<>();
    try (WorkerGroup workers = WorkerGroup.start(db, options)) {
      for (int i = 0; i < (options.quick() ? 1 : 2); i++) {
        round(db, workers, n, false);
        round(db, workers, n, true);
      }
      for (int r = 0; r < rounds; r++) {
        boolean withFirst = r % 2 == 1;
        double first = round(db, workers, n, withFirst);
        double second = round(db, workers, n, !withFirst);
        with.add(withFirst ? first : second);
        without.add(withFirst ? second : first);
        ratios.add(without.get(r) / with.get(r));
      }
    }
    double ratio = PairedRounds.median(ratios);
    report.throughput(
        "gin_indexes_writes_without",
        "gin-indexes: worker, no GIN indexes",
        n,
        PairedRounds.median(without),
        null,
        "",
        null);
    report.throughput(
        "gin_indexes_writes",
        "gin-indexes: worker, with GIN indexes",
        n,
        PairedRounds.median(with),
        ratio,
        "of without",
        null);
    List<Double> sorted = ratios.stream().sorted().toList();
    out.println(
        BenchReport.format(
            "bench: gin-indexes: throughput ratios of the pairs, lowest %.2f, median %.2f, highest"
                + " %.2f",
            sorted.get(0), ratio, sorted.get(sorted.size() - 1)));
  }

  /** Sets the indexes up or not, settles the database, and times a drain. */
  private static double round(BenchDatabase db, WorkerGroup workers, long n, boolean indexes)
      throws Exception {
    try (Connection c = db.connect()) {
      JsonIndexScript.drop(c);
      if (indexes) {
        JsonIndexScript.run(c);
      }
    }
    db.settle();
    return PairedRounds.secondsToDrain(db, workers, n);
  }

  private static void queries(
      BenchDatabase db, long rows, Benchmark.Options options, BenchReport report, PrintStream out)
      throws Exception {
    out.println("bench: gin-indexes: " + rows + " rows each in metrics and data_entries");
    db.execute("TRUNCATE data_entries, metrics");
    try (Connection c = db.connect();
        PreparedStatement metrics = c.prepareStatement(METRICS);
        PreparedStatement entries = c.prepareStatement(DATA_ENTRIES)) {
      metrics.setLong(1, rows);
      metrics.executeUpdate();
      entries.setInt(1, BenchDatabase.USERS);
      entries.setLong(2, rows);
      entries.executeUpdate();
      JsonIndexScript.drop(c);
      JsonIndexScript.run(c);
    }
    db.execute("VACUUM ANALYZE metrics, data_entries");
    int rounds = options.quick() ? 3 : 9;
    List<List<String>> lines = new ArrayList<>();
    for (Query q : QUERIES) {
      List<Double> with = new ArrayList<>();
      List<Double> without = new ArrayList<>();
      try (Connection c = db.connect()) {
        millis(c, q.sql());
        for (int r = 0; r < rounds; r++) {
          with.add(millis(c, q.sql()));
          without.add(withoutIndex(c, q));
        }
        String plan = plan(c, q.sql());
        boolean uses = plan.contains("Bitmap Index Scan on " + q.index());
        report.check(
            "gin_indexes_plan_" + q.key(),
            "gin-indexes: " + q.key() + " plan",
            rows,
            uses ? "Bitmap Index Scan on " + q.index() : plan.lines().findFirst().orElse(""),
            "uses " + q.index(),
            uses);
      }
      double a = PairedRounds.median(with);
      double b = PairedRounds.median(without);
      report.value(
          "gin_indexes_" + q.key() + "_ms", "gin-indexes: " + q.key(), a, "ms", null, null);
      report.value(
          "gin_indexes_" + q.key() + "_without_ms",
          "gin-indexes: " + q.key() + ", no index",
          b,
          "ms",
          null,
          null);
      lines.add(
          List.of(
              q.key(),
              Long.toString(rows),
              BenchReport.format("%.2f", a),
              BenchReport.format("%.2f", b),
              BenchReport.format("%.1f", b / a)));
    }
    out.print(
        report.table(
            "gin_indexes_queries",
            "GIN indexes: containment queries, median ms",
            List.of("query", "rows", "with index", "without", "times faster"),
            lines));
  }

  /** The query's time in a transaction that dropped its index, rolled back after. */
  private static double withoutIndex(Connection c, Query q) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("DROP INDEX " + q.index());
      return millis(c, q.sql());
    } finally {
      c.rollback();
      c.setAutoCommit(true);
    }
  }

  private static double millis(Connection c, String sql) throws SQLException {
    long start = System.nanoTime();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
    }
    return (System.nanoTime() - start) / 1e6;
  }

  private static String plan(Connection c, String sql) throws SQLException {
    StringBuilder plan = new StringBuilder();
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("EXPLAIN " + sql)) {
      while (rs.next()) {
        plan.append(rs.getString(1)).append('\n');
      }
    }
    return plan.toString();
  }
}
