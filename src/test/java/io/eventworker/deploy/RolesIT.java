package io.eventworker.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.Jar;
import io.eventworker.testing.PostgresServer;
import io.eventworker.testing.Programs;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * database/roles.sql, tried as each role: the worker runs entirely as app_user, app_user cannot
 * change the schema, readonly_user cannot write, and tables added by later migrations are covered.
 * Role names are unique to the test (roles belong to the whole server) and dropped after it.
 */
@Tag("deploy")
class RolesIT {

  private static final int EVENTS = 2_000;
  private static final int INVALID_EVERY = 99;

  @RegisterExtension final TestDatabase db = TestDatabase.initSqlOnly();

  private final String suffix = UUID.randomUUID().toString().substring(0, 8);
  private final String app = "ew_app_" + suffix;
  private final String readonly = "ew_ro_" + suffix;
  private final String appPassword = "app-" + suffix;
  private final String readonlyPassword = "ro-" + suffix;
  private final PostgresServer server = PostgresServer.get();

  @BeforeEach
  void createRolesAsTheComposeStackDoes() throws Exception {
    // As in docker-compose.yml: init.sql (done), roles.sql, then migrate as the tables' owner.
    Programs.Result r =
        db.psql(
            "-v",
            "app_user=" + app,
            "-v",
            "readonly_user=" + readonly,
            "-v",
            "app_password=" + appPassword,
            "-v",
            "readonly_password=" + readonlyPassword,
            "-f",
            "database/roles.sql");
    assertEquals(0, r.status(), r.output());
    Jar.run(db.env(), "migrate");
  }

  @AfterEach
  void dropRoles() throws Exception {
    db.execute("DROP OWNED BY " + app + ", " + readonly);
    server.admin("DROP ROLE IF EXISTS " + app);
    server.admin("DROP ROLE IF EXISTS " + readonly);
  }

  @Test
  void theWorkerRunsEntirelyAsAppUser() throws Exception {
    Map<String, String> asApp = Map.of("DATABASE_URL", server.url(db.name(), app, appPassword));
    Path file = Files.createTempFile("events", ".ndjson");
    Fixtures.writeMixed(file, EVENTS, INVALID_EVERY);
    assertTrue(
        Jar.run(asApp, "enqueue", "--file", file.toString())
            .contains("stored " + EVENTS + " events"));
    Files.delete(file);
    try (WorkerProcess worker = WorkerProcess.run("as-app-user", asApp)) {
      worker.awaitReady(Duration.ofSeconds(30));
      String sessions =
          "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
              + " AND application_name = 'event-worker'";
      assertTrue(
          db.queryLong(sessions + " AND usename = '" + app + "'") > 0,
          "the worker is connected as " + app);
      assertEquals(
          0,
          db.queryLong(sessions + " AND usename <> '" + app + "'"),
          "no worker session as another role");
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > 0) {
        assertTrue(System.nanoTime() < deadline, worker.output());
        Thread.sleep(50);
      }
      worker.terminate();
      assertEquals(0, worker.awaitExit(Duration.ofSeconds(10)));
      assertTrue(!worker.output().contains("ERROR"), worker.output());
    }
    Fixtures.assertExactlyOnce(db, EVENTS, INVALID_EVERY);
    assertTrue(Jar.run(asApp, "status").contains("data_entry"));
  }

  @Test
  void appUserCannotChangeTheSchema() throws Exception {
    try (Connection c = server.connect(db.name(), app, appPassword);
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO users (name, email) VALUES ('a', 'a@example.com')");
      s.execute("UPDATE users SET name = 'b'");
      s.execute("DELETE FROM users");
      assertDenied(s, "DROP TABLE events");
      assertDenied(s, "ALTER TABLE events ADD COLUMN extra int");
      assertDenied(s, "TRUNCATE events");
      assertDenied(s, "CREATE TABLE app_owned (id int)");
      assertDenied(s, "CREATE INDEX idx_app ON events (data)");
    }
  }

  @Test
  void readonlyUserCanOnlyRead() throws Exception {
    db.execute("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')");
    try (Connection c = server.connect(db.name(), readonly, readonlyPassword);
        Statement s = c.createStatement()) {
      try (var rs = s.executeQuery("SELECT count(*) FROM users")) {
        rs.next();
        assertEquals(1, rs.getLong(1));
      }
      s.executeQuery("SELECT * FROM get_user_statistics(1)").close();
      s.executeQuery("SELECT count(*) FROM events").close();
      assertDenied(s, "INSERT INTO events (event_type, data) VALUES ('metric', '{}')");
      assertDenied(s, "UPDATE users SET name = 'x'");
      assertDenied(s, "DELETE FROM metrics");
      assertDenied(s, "CREATE TABLE mine (id int)");
    }
  }

  @Test
  void tablesFromLaterMigrationsAreCovered() throws Exception {
    // As the migrator (the owner) would in a future migration.
    db.execute("CREATE TABLE later_table (id serial PRIMARY KEY, note text)");
    try (Connection c = server.connect(db.name(), app, appPassword);
        Statement s = c.createStatement()) {
      s.execute("INSERT INTO later_table (note) VALUES ('written by app_user')");
      assertDenied(s, "DROP TABLE later_table");
    }
    try (Connection c = server.connect(db.name(), readonly, readonlyPassword);
        Statement s = c.createStatement()) {
      try (var rs = s.executeQuery("SELECT count(*) FROM later_table")) {
        rs.next();
        assertEquals(1, rs.getLong(1));
      }
      assertDenied(s, "INSERT INTO later_table (note) VALUES ('no')");
    }
  }

  private static void assertDenied(Statement s, String sql) {
    SQLException e = assertThrows(SQLException.class, () -> s.execute(sql), sql);
    assertEquals("42501", e.getSQLState(), sql + ": " + e.getMessage());
  }
}
