package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.JsonIndexScript;
import io.eventworker.testing.Programs;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The opt-in GIN indexes of database/json-indexes.sql: none without it; built valid by the file
 * (through psql, as documented); chosen by the planner for the containment queries they serve on
 * tables with realistic statistics; rebuilt by running the file again when an interrupted build
 * left one invalid.
 */
@Tag("database")
class JsonIndexesTest {

  private static final List<String> EXPECTED =
      List.of(
          "idx_metrics_tags ON public.metrics USING gin (tags jsonb_path_ops) valid",
          "idx_data_entries_metadata ON public.data_entries USING gin (metadata jsonb_path_ops)"
              + " valid",
          "idx_users_metadata ON public.users USING gin (metadata jsonb_path_ops) valid");

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();
  @RegisterExtension final TestDatabase seeded = TestDatabase.initSqlOnly();

  @Test
  void migrateLeavesThemOut() throws Exception {
    assertEquals(List.of(), indexes(db));
  }

  @Test
  void theFileRunThroughPsqlBuildsValidGinIndexesWithPathOps() throws Exception {
    psql(seeded);
    assertEquals(EXPECTED, indexes(seeded));
    psql(db);
    assertEquals(EXPECTED, indexes(db));
    assertEquals(
        List.of("metrics", "data_entries", "users"),
        JsonIndexScript.indexes().stream().map(JsonIndexScript.Index::table).toList());
  }

  @Test
  void containmentQueriesUseThem() throws Exception {
    try (Connection c = db.connect()) {
      JsonIndexScript.run(c);
    }
    db.execute(
        "INSERT INTO users (name, email, metadata) SELECT 'u' || g, 'u' || g || '@example.com',"
            + " jsonb_build_object('plan', 'plan-' || g % 500) FROM generate_series(1, 5000) g",
        "INSERT INTO metrics (metric_name, metric_value, tags) SELECT 'request_ms', g % 100,"
            + " jsonb_build_object('route', '/api/' || g % 1000, 'host', 'web-' || g % 7) FROM"
            + " generate_series(1, 50000) g",
        "INSERT INTO data_entries (user_id, key, metadata) SELECT 1 + g % 5000, 'k' || g,"
            + " jsonb_build_object('source', 'source-' || g % 1000) FROM generate_series(1, 50000)"
            + " g",
        "ANALYZE users, metrics, data_entries");
    assertUses(
        "SELECT count(*) FROM metrics WHERE tags @> '{\"route\": \"/api/42\"}'",
        "idx_metrics_tags",
        50);
    assertUses(
        "SELECT count(*) FROM data_entries WHERE metadata @> '{\"source\": \"source-42\"}'",
        "idx_data_entries_metadata",
        50);
    assertUses(
        "SELECT count(*) FROM users WHERE metadata @> '{\"plan\": \"plan-7\"}'",
        "idx_users_metadata",
        10);
    // jsonb_path_ops also serves jsonpath matches.
    assertUses(
        "SELECT count(*) FROM metrics WHERE tags @? '$.route ? (@ == \"/api/42\")'",
        "idx_metrics_tags",
        50);
  }

  @Test
  void runningTheFileAgainRebuildsAnIndexThatAnInterruptedBuildLeftInvalid() throws Exception {
    // A CONCURRENTLY build that fails half-way leaves its index behind, invalid; a unique
    // violation is a failure that can be had on purpose.
    db.execute(
        "INSERT INTO metrics (metric_name, metric_value, tags) VALUES ('a', 1, '{\"route\":"
            + " \"/api\"}'), ('a', 2, '{\"route\": \"/api\"}')");
    SQLException failed =
        assertThrows(
            SQLException.class,
            () ->
                db.execute(
                    "CREATE UNIQUE INDEX CONCURRENTLY idx_metrics_tags ON metrics (metric_name)"));
    assertEquals("23505", failed.getSQLState());
    assertEquals(
        List.of("idx_metrics_tags ON public.metrics USING btree (metric_name) invalid"),
        indexes(db));

    try (Connection c = db.connect()) {
      JsonIndexScript.run(c);
    }

    assertEquals(EXPECTED, indexes(db));
    assertEquals(
        2, db.queryLong("SELECT count(*) FROM metrics WHERE tags @> '{\"route\": \"/api\"}'"));
  }

  @Test
  void theFileRunsAgainAndLeavesTheSameIndexes() throws Exception {
    for (int run = 0; run < 2; run++) {
      try (Connection c = db.connect()) {
        JsonIndexScript.run(c);
      }
      assertEquals(EXPECTED, indexes(db));
    }
  }

  /** Runs database/json-indexes.sql as the documentation says, through psql. */
  private static void psql(TestDatabase database) {
    Programs.Result r = database.psql("-f", JsonIndexScript.FILE.toString());
    assertEquals(0, r.status(), "psql -f " + JsonIndexScript.FILE + ": " + r.output());
  }

  private void assertUses(String query, String index, long rows) throws SQLException {
    List<String> plan = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      // At 50,000 rows a planner may rightly prefer reading the table (one server's costs did,
      // another's did not): the test asks whether the index serves the query, the bench what it
      // saves at 1,000,000 rows.
      s.execute("SET enable_seqscan = off");
      try (ResultSet rs = s.executeQuery("EXPLAIN " + query)) {
        while (rs.next()) {
          plan.add(rs.getString(1));
        }
      }
      assertTrue(
          plan.stream().anyMatch(l -> l.contains("Bitmap Index Scan on " + index)),
          String.join("\n", plan));
      try (ResultSet rs = s.executeQuery(query)) {
        rs.next();
        assertEquals(rows, rs.getLong(1), query);
      }
    }
  }

  /** The script's indexes as they are in {@code database}: definition and validity. */
  private static List<String> indexes(TestDatabase database) throws SQLException {
    List<String> found = new ArrayList<>();
    try (Connection c = database.connect();
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT substring(pg_get_indexdef(x.indexrelid) FROM 'INDEX (.*)') || CASE WHEN"
                    + " x.indisvalid THEN ' valid' ELSE ' invalid' END FROM pg_index x JOIN"
                    + " pg_class i ON i.oid = x.indexrelid WHERE i.relname IN"
                    + " ('idx_metrics_tags', 'idx_data_entries_metadata', 'idx_users_metadata')"
                    + " ORDER BY array_position(ARRAY['idx_metrics_tags',"
                    + " 'idx_data_entries_metadata', 'idx_users_metadata'], i.relname::text)")) {
      while (rs.next()) {
        found.add(rs.getString(1));
      }
    }
    return found;
  }
}
