package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.json.Json;
import io.eventworker.testing.OriginalUserStatistics;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import java.sql.Statement;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Migration 8's get_user_statistics against the original description's (database/init.sql, created
 * here under another name): the same results on random data, without the join of every entry with
 * every event, and with the function's grants kept.
 */
@Tag("database")
class LinearUserStatisticsTest {

  private static final String STATS = "SELECT * FROM %s(?)";

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();
  @RegisterExtension final TestDatabase seeded = TestDatabase.initSqlOnly();

  @Test
  void givesTheOriginalsResultsForEveryUserOnRandomData() throws Exception {
    long seed = System.nanoTime();
    RandomRows rows = new RandomRows(new Random(seed));
    List<String> differences = new ArrayList<>();
    int compared = 0;
    int withoutEntries = 0;
    int withoutEvents = 0;
    int nullActivity = 0;
    try (Connection c = db.connect()) {
      OriginalUserStatistics.create(c);
      int users = rows.load(c);
      List<Integer> ids = new ArrayList<>();
      for (int id = 1; id <= users; id++) {
        ids.add(id);
      }
      // Ids no user has: none of them may count the rows that name no user.
      ids.addAll(List.of(0, -1, users + 1, Integer.MAX_VALUE));
      ids.add(null);
      for (Integer id : ids) {
        List<Object> linear = stats(c, "get_user_statistics", id);
        List<Object> original = stats(c, OriginalUserStatistics.NAME, id);
        compared++;
        if (!linear.equals(original)) {
          differences.add("user " + id + ": " + linear + " but the original gives " + original);
        }
        if (id != null && id >= 1 && id <= users) {
          withoutEntries += Long.valueOf(0).equals(original.get(0)) ? 1 : 0;
          withoutEvents += Long.valueOf(0).equals(original.get(1)) ? 1 : 0;
          nullActivity += original.get(2) == null ? 1 : 0;
        }
      }
    }
    assertEquals(List.of(), differences, "seed " + seed);
    assertEquals(RandomRows.USERS + 5, compared);
    // The users' own data held the cases that matter.
    assertTrue(withoutEntries > 5 && withoutEvents > 5 && nullActivity > 5, "seed " + seed);
  }

  @Test
  void neverJoinsEachEntryWithEachEvent() throws Exception {
    try (Connection c = db.connect()) {
      OriginalUserStatistics.create(c);
      try (Statement s = c.createStatement()) {
        s.execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')");
        s.execute(
            "INSERT INTO data_entries (user_id, key) SELECT 1, 'k' || g FROM generate_series(1,"
                + " 300) g");
        s.execute(
            "INSERT INTO events (event_type, user_id, data, status) SELECT 'data_entry', 1, '{}',"
                + " 'processed' FROM generate_series(1, 200) g");
        s.execute("ANALYZE");
      }
      // The most rows any step of each function's plan produced, as auto_explain reports them.
      assertEquals(300, largestStep(c, "get_user_statistics"));
      assertEquals(60_000, largestStep(c, OriginalUserStatistics.NAME));
    }
  }

  @Test
  void keepsTheFunctionsOwnerAndGrants() throws Exception {
    String acl =
        "SELECT proowner::regrole || ' ' || coalesce(proacl::text, 'default') FROM pg_proc"
            + " WHERE proname = 'get_user_statistics'";
    seeded.execute(
        "REVOKE EXECUTE ON FUNCTION get_user_statistics(integer) FROM PUBLIC",
        "GRANT EXECUTE ON FUNCTION get_user_statistics(integer) TO pg_read_all_data");
    String before = text(seeded, acl);
    String source =
        text(seeded, "SELECT prosrc FROM pg_proc WHERE proname = 'get_user_statistics'");

    new Migrations(seeded.dataSource()).migrate();

    assertEquals(before, text(seeded, acl));
    assertNotEquals(
        source, text(seeded, "SELECT prosrc FROM pg_proc WHERE proname = 'get_user_statistics'"));
    assertTrue(before.contains("pg_read_all_data=X/"), before);
  }

  private static List<Object> stats(Connection c, String function, Integer id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(String.format(STATS, function))) {
      ps.setObject(1, id, Types.INTEGER);
      try (ResultSet rs = ps.executeQuery()) {
        List<Object> row = new ArrayList<>();
        assertTrue(rs.next(), function + "(" + id + ") returned no row");
        row.add(rs.getObject(1));
        row.add(rs.getObject(2));
        row.add(rs.getObject(3));
        assertTrue(!rs.next(), function + "(" + id + ") returned more than one row");
        return row;
      }
    }
  }

  /** Runs {@code function(1)} under auto_explain and returns its plan's largest row count. */
  private static long largestStep(Connection c, String function) throws Exception {
    try (Statement s = c.createStatement()) {
      s.execute("LOAD 'auto_explain'");
      s.execute("SET auto_explain.log_min_duration = 0");
      s.execute("SET auto_explain.log_nested_statements = on");
      s.execute("SET auto_explain.log_analyze = on");
      s.execute("SET auto_explain.log_timing = off");
      s.execute("SET auto_explain.log_format = json");
      s.execute("SET client_min_messages = log");
      s.executeQuery("SELECT * FROM " + function + "(1)").close();
      long largest = -1;
      int plans = 0;
      for (SQLWarning w = s.getWarnings(); w != null; w = w.getNextWarning()) {
        String message = w.getMessage();
        int json = message.indexOf('{');
        if (json >= 0 && message.contains("\"Plan\"")) {
          JsonNode plan = Json.MAPPER.readTree(message.substring(json)).get("Plan");
          if (!plan.path("Node Type").asText().equals("Function Scan")) {
            largest = Math.max(largest, largestRows(plan));
            plans++;
          }
        }
      }
      s.execute("SET client_min_messages = notice");
      s.execute("SET auto_explain.log_min_duration = -1");
      assertEquals(1, plans, "one plan inside " + function);
      return largest;
    }
  }

  private static long largestRows(JsonNode node) {
    long rows = node.path("Actual Rows").asLong() * node.path("Actual Loops").asLong(1);
    for (JsonNode child : node.path("Plans")) {
      rows = Math.max(rows, largestRows(child));
    }
    return rows;
  }

  private static String text(TestDatabase database, String sql) throws SQLException {
    try (Connection c = database.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      assertTrue(rs.next(), sql);
      return rs.getString(1);
    }
  }

  /**
   * Users with no rows, entries only, events only or both, in random numbers (one user with
   * hundreds of each), timestamps spread over two days to the minute (so that some are equal), a
   * random share of them NULL (all, for some users), and rows that name no user.
   */
  private static final class RandomRows {
    static final int USERS = 60;
    private static final long TWO_DAYS_MINUTES = 2 * 24 * 60;

    private final Random random;

    RandomRows(Random random) {
      this.random = random;
    }

    /** Loads the users and their rows; returns how many users there are. */
    int load(Connection c) throws SQLException {
      try (PreparedStatement users =
              c.prepareStatement("INSERT INTO users (name, email) VALUES (?, ?)");
          PreparedStatement entries =
              c.prepareStatement(
                  "INSERT INTO data_entries (user_id, key, created_at, updated_at)"
                      + " VALUES (?, ?, ?, ?)");
          PreparedStatement events =
              c.prepareStatement(
                  "INSERT INTO events (event_type, user_id, data, status, created_at)"
                      + " VALUES ('data_entry', ?, '{}', 'processed', ?)")) {
        for (int id = 1; id <= USERS; id++) {
          users.setString(1, "user " + id);
          users.setString(2, "user" + id + "@example.com");
          users.executeUpdate();
          int kind = random.nextInt(4);
          boolean many = id == USERS / 2;
          double nulls = List.of(0.0, 0.3, 1.0).get(random.nextInt(3));
          int entryCount = many ? 400 : (kind & 1) == 0 ? 0 : 1 + random.nextInt(30);
          int eventCount = many ? 300 : (kind & 2) == 0 ? 0 : 1 + random.nextInt(30);
          addEntries(entries, id, entryCount, nulls);
          addEvents(events, id, eventCount, nulls);
        }
        addEntries(entries, null, 20, 0.3);
        addEvents(events, null, 20, 0.3);
        entries.executeBatch();
        events.executeBatch();
      }
      try (Statement s = c.createStatement()) {
        s.execute("ANALYZE");
      }
      return USERS;
    }

    private void addEntries(PreparedStatement ps, Integer user, int count, double nulls)
        throws SQLException {
      for (int i = 0; i < count; i++) {
        ps.setObject(1, user, Types.INTEGER);
        ps.setString(2, "key " + i);
        ps.setTimestamp(3, timestamp(nulls));
        ps.setTimestamp(4, timestamp(nulls));
        ps.addBatch();
      }
    }

    private void addEvents(PreparedStatement ps, Integer user, int count, double nulls)
        throws SQLException {
      for (int i = 0; i < count; i++) {
        ps.setObject(1, user, Types.INTEGER);
        ps.setTimestamp(2, timestamp(nulls));
        ps.addBatch();
      }
    }

    private Timestamp timestamp(double nulls) {
      if (random.nextDouble() < nulls) {
        return null;
      }
      long minute = random.nextLong(TWO_DAYS_MINUTES);
      return Timestamp.valueOf(LocalDateTime.of(2026, 1, 1, 0, 0).plusMinutes(minute));
    }
  }
}
