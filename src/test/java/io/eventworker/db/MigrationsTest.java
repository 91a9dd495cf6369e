package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.eventworker.testing.Cli;
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

/** {@code migrate} on an empty database and on one made by init.sql, each run twice. */
@Tag("database")
class MigrationsTest {

  @RegisterExtension final TestDatabase empty = TestDatabase.empty();
  @RegisterExtension final TestDatabase seeded = TestDatabase.empty();

  @Test
  void migratesAnEmptyDatabaseAndThenChangesNothing() throws Exception {
    assertEquals("schema migrated from version none to 8 (9 migrations applied)", migrate(empty));
    assertWorkerSchema(empty);
    String before = schemaOf(empty);
    assertEquals("schema is up to date at version 8", migrate(empty));
    assertEquals(before, schemaOf(empty));
    assertEquals(9, empty.queryLong("SELECT count(*) FROM flyway_schema_history"));
  }

  @Test
  void migratesADatabaseMadeByInitSqlKeepingItsRows() throws Exception {
    loadInitSqlWithPsql(seeded);
    seeded.execute(
        "INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')",
        "INSERT INTO events (event_type, user_id, data) VALUES ('metric', 1,"
            + " '{\"name\":\"old\",\"value\":1}')");

    assertEquals("schema migrated from version 1 to 8 (8 migrations applied)", migrate(seeded));
    assertWorkerSchema(seeded);
    assertEquals(
        1,
        seeded.queryLong(
            "SELECT count(*) FROM flyway_schema_history WHERE version = '1' AND type ="
                + " 'BASELINE'"));
    // The producer's row is still there, pending, with the new columns' defaults.
    assertEquals(
        1,
        seeded.queryLong(
            "SELECT count(*) FROM events WHERE status = 'pending' AND attempts = 0 AND last_error"
                + " IS NULL AND run_at <= now()"));

    String before = schemaOf(seeded);
    assertEquals("schema is up to date at version 8", migrate(seeded));
    assertEquals(before, schemaOf(seeded));
  }

  @Test
  void bothPathsEndWithTheSameSchema() throws Exception {
    migrate(empty);
    loadInitSqlWithPsql(seeded);
    migrate(seeded);
    assertEquals(schemaOf(empty), schemaOf(seeded));
  }

  private static String migrate(TestDatabase db) {
    Cli.Result result = Cli.run(db.env(), "migrate");
    assertEquals(0, result.status(), result.toString());
    return result.out().trim();
  }

  /** Runs database/init.sql through psql -f, as the seed does. */
  private static void loadInitSqlWithPsql(TestDatabase db) {
    Programs.Result r = db.psql("-f", "database/init.sql");
    assertEquals(0, r.status(), "psql -f database/init.sql: " + r.output());
  }

  private static void assertWorkerSchema(TestDatabase db) throws SQLException {
    for (String table : List.of("users", "data_entries", "events", "metrics")) {
      assertEquals(
          1,
          db.queryLong(
              "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename = '"
                  + table
                  + "'"),
          table);
    }
    assertEquals(
        3,
        db.queryLong(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'events'"
                + " AND column_name IN ('attempts', 'last_error', 'run_at')"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM information_schema.columns WHERE table_name = 'events'"
                + " AND column_name = 'attempts' AND is_nullable = 'NO' AND column_default = '0'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM pg_indexes i JOIN pg_index x ON x.indexrelid = (i.schemaname ||"
                + " '.' || i.indexname)::regclass WHERE i.indexname = 'idx_events_claim' AND"
                + " x.indisvalid AND i.indexdef LIKE '%(event_type, run_at, id) WHERE"
                + " ((status)::text = ''pending''::text)'"));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgname = 'events_notify_insert'"));
    assertEquals(
        2,
        db.queryLong(
            "SELECT count(*) FROM pg_trigger WHERE tgname IN ('update_users_updated_at',"
                + " 'update_data_entries_updated_at')"));
    assertEquals(
        1, db.queryLong("SELECT count(*) FROM pg_proc WHERE proname = 'get_user_statistics'"));
    // Migration 6: the columns that hold large payloads compress with LZ4 (this server has it).
    assertEquals(
        4,
        db.queryLong(
            "SELECT count(*) FROM pg_attribute WHERE attcompression = 'l' AND (attrelid, attname)"
                + " IN (('events'::regclass, 'data'), ('data_entries'::regclass, 'value'),"
                + " ('data_entries'::regclass, 'metadata'), ('metrics'::regclass, 'tags'))"));
  }

  /** Columns, indexes, triggers and functions of the public schema, as comparable text. */
  private static String schemaOf(TestDatabase db) throws SQLException {
    List<String> lines = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      for (String sql :
          List.of(
              "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable ||"
                  + " ' ' || coalesce(column_default, '') FROM information_schema.columns WHERE"
                  + " table_schema = 'public' AND table_name <> 'flyway_schema_history' ORDER BY 1",
              "SELECT indexdef FROM pg_indexes WHERE schemaname = 'public' AND tablename <>"
                  + " 'flyway_schema_history' ORDER BY 1",
              "SELECT tgname || ' ' || tgrelid::regclass FROM pg_trigger WHERE NOT tgisinternal"
                  + " ORDER BY 1",
              "SELECT proname || ' ' || md5(prosrc) FROM pg_proc WHERE pronamespace ="
                  + " 'public'::regnamespace ORDER BY 1")) {
        try (ResultSet rs = s.executeQuery(sql)) {
          while (rs.next()) {
            lines.add(rs.getString(1));
          }
        }
      }
    }
    return String.join("\n", lines);
  }
}
