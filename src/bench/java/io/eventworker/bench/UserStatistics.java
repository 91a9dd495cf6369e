package io.eventworker.bench;

import io.eventworker.testing.OriginalUserStatistics;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * get_user_statistics for one user with as many entries as events (10,000 of each at the default
 * size), other users' rows alongside: the original description's function, which joins each entry
 * with each event, against migration 8's, in alternated rounds.
 */
final class UserStatistics implements FeatureCase {

  private static final String ENTRIES =
      """
      INSERT INTO data_entries (user_id, key, value, type)
      SELECT CASE WHEN g <= ? THEN 1 ELSE 2 + g % (? - 1) END, 'setting-' || g, 'on', 'preference'
      FROM generate_series(1, ?) g
      """;
  private static final String EVENTS =
      """
      INSERT INTO events (event_type, user_id, data, status, processed_at)
      SELECT 'data_entry', CASE WHEN g <= ? THEN 1 ELSE 2 + g % (? - 1) END, '{}', 'processed',
             LOCALTIMESTAMP
      FROM generate_series(1, ?) g
      """;
  private static final String STATS = "SELECT * FROM %s(1)";

  @Override
  public String name() {
    return "user-statistics";
  }

  @Override
  public void run(BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream out)
      throws Exception {
    long rows = Math.max(10, Math.min(10_000, options.events() / 20));
    int rounds = options.quick() ? 1 : 3;
    out.println(
        "bench: user-statistics: one user with "
            + rows
            + " entries and "
            + rows
            + " events, as many again for the other users; "
            + rounds
            + " rounds");
    List<Double> original = new ArrayList<>();
    List<Double> linear = new ArrayList<>();
    boolean same = true;
    try (Connection c = db.connect()) {
      load(c, ENTRIES, rows);
      load(c, EVENTS, rows);
      OriginalUserStatistics.create(c);
      db.execute("VACUUM ANALYZE data_entries, events");
      String originalSql = String.format(STATS, OriginalUserStatistics.NAME);
      String linearSql = String.format(STATS, "get_user_statistics");
      timed(c, linearSql, null);
      for (int r = 0; r < rounds; r++) {
        boolean originalFirst = r % 2 == 0;
        List<Object> first =
            timed(c, originalFirst ? originalSql : linearSql, originalFirst ? original : linear);
        List<Object> second =
            timed(c, originalFirst ? linearSql : originalSql, originalFirst ? linear : original);
        same &= first.equals(second);
      }
    }
    double a = PairedRounds.median(original);
    double b = PairedRounds.median(linear);
    report.value("user_statistics_original_ms", "user-statistics: original", a, "ms", null, null);
    report.value("user_statistics_linear_ms", "user-statistics: linear", b, "ms", null, null);
    report.value(
        "user_statistics_speedup", "user-statistics: original / linear", a / b, "x", null, null);
    report.check(
        "user_statistics_same",
        "user-statistics: same results",
        rows,
        same ? "same" : "different",
        "same",
        same);
  }

  /** Loads {@code rows} rows for user 1 and as many for the other users. */
  private static void load(Connection c, String sql, long rows) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      ps.setLong(1, rows);
      ps.setInt(2, BenchDatabase.USERS);
      ps.setLong(3, 2 * rows);
      ps.executeUpdate();
    }
  }

  /**
   * Runs {@code sql}, adding its milliseconds to {@code times} (when not null); returns its row.
   */
  private static List<Object> timed(Connection c, String sql, List<Double> times)
      throws SQLException {
    long start = System.nanoTime();
    List<Object> row = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      for (int i = 1; i <= 3; i++) {
        row.add(rs.getObject(i));
      }
    }
    if (times != null) {
      times.add((System.nanoTime() - start) / 1e6);
    }
    return row;
  }
}
