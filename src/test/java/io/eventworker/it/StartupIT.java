package io.eventworker.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.PostgresServer;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** How {@code run} starts, or refuses to, as an operator sees it. */
@Tag("process")
class StartupIT {

  @RegisterExtension final TestDatabase seeded = TestDatabase.initSqlOnly();

  @Test
  void aBadSettingStopsStartUpNamingTheVariableAndValue() throws Exception {
    WorkerProcess p = WorkerProcess.run("bad-threads", seeded.env("WORKER_THREADS", "many"));
    assertEquals(2, p.awaitExit(Duration.ofSeconds(30)));
    assertTrue(
        p.output()
            .contains(
                "configuration error: WORKER_THREADS=many: expected a whole number from 1 to 256"),
        p.output());

    WorkerProcess url =
        WorkerProcess.run("bad-url", Map.of("DATABASE_URL", "mysql://root:secret@db/app"));
    assertEquals(2, url.awaitExit(Duration.ofSeconds(30)));
    assertTrue(
        url.output().contains("DATABASE_URL=mysql://root:***@db/app: expected postgresql://"),
        url.output());
  }

  @Test
  void writesTimestampsInTheDatabaseTimeZoneWhateverZoneTheJvmRunsIn() throws Exception {
    seeded.execute("SET TIME ZONE 'UTC'");
    io.eventworker.testing.Jar.run(seeded.env(), "migrate");
    // A producer in the server's zone (UTC), a worker JVM five hours behind it.
    seeded.execute(
        "INSERT INTO events (event_type, data) VALUES ('data_entry', '{\"key\":\"tz\"}')");
    try (WorkerProcess worker =
        WorkerProcess.run(
            "new-york", seeded.env("JAVA_TOOL_OPTIONS", "-Duser.timezone=America/New_York"))) {
      worker.awaitReady(Duration.ofSeconds(30));
      boolean autovacuum =
          seeded.queryLong(
                  "SELECT (setting = 'on')::int FROM pg_settings WHERE name = 'autovacuum'")
              == 1;
      assertEquals(
          !autovacuum,
          worker.output().contains("WARN  [main] RunCommand - autovacuum is off on this server"),
          worker.output());
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (seeded.queryLong("SELECT count(*) FROM events WHERE status = 'processed'") == 0) {
        assertTrue(System.nanoTime() < deadline, worker.output());
        Thread.sleep(50);
      }
    }
    assertEquals(
        1,
        seeded.queryLong(
            "SELECT count(*) FROM events e, data_entries d WHERE d.key = 'tz'"
                + " AND e.processed_at - e.created_at BETWEEN interval '0' AND interval '1 minute'"
                + " AND d.created_at - e.created_at BETWEEN interval '0' AND interval '1 minute'"));
  }

  @Test
  void refusesADatabaseWithoutTheWorkersMigrations() throws Exception {
    WorkerProcess p = WorkerProcess.run("unmigrated", seeded.env());
    assertEquals(1, p.awaitExit(Duration.ofSeconds(30)));
    assertTrue(
        p.output().contains("the database lacks migrations")
            && p.output().contains("run `event-worker migrate` first"),
        p.output());
  }

  @Test
  void aRefusedLoginStopsStartUpWithTheServersWordsAndWhatToCheck() throws Exception {
    // A role that may not log in is refused with the same class of error (28) as a wrong
    // password, which a trust-authenticated test server cannot produce.
    PostgresServer server = PostgresServer.get();
    String role = "no_login_" + seeded.name();
    server.admin("CREATE ROLE " + role + " NOLOGIN PASSWORD 'hunter2-secret'");
    try {
      WorkerProcess p =
          WorkerProcess.run(
              "refused-login",
              Map.of("DATABASE_URL", server.url(seeded.name(), role, "hunter2-secret")));
      assertEquals(1, p.awaitExit(Duration.ofSeconds(30)), p.output());
      assertTrue(
          p.output()
              .contains(
                  "event-worker: database error: role \""
                      + role
                      + "\" is not permitted to log in [28000]"
                      + ": check the user and password in DATABASE_URL, or DATABASE_PASSWORD"),
          p.output());
      assertFalse(p.output().contains("hunter2-secret"), p.output());
      assertFalse(p.output().contains("SQL State"), "one line, not a block: " + p.output());
    } finally {
      server.admin("DROP ROLE " + role);
    }
  }

  @Test
  void waitsForAnUnreachableDatabaseNotReadyButAlive() throws Exception {
    int closedPort = WorkerProcess.freePort();
    try (WorkerProcess p =
        WorkerProcess.run(
            "no-database",
            Map.of(
                "DATABASE_URL",
                "postgresql://nobody:secret@127.0.0.1:" + closedPort + "/nothing"))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      while (p.get("/health/live").status() != 200 && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
      assertEquals(200, p.get("/health/live").status(), p.output());
      WorkerProcess.HttpResult ready = p.get("/health/ready");
      assertEquals(503, ready.status(), p.output());
      assertTrue(ready.body().contains("\"status\":\"DOWN\""), ready.body());
      // The database's reason, not "starting", while the worker waits for it.
      assertTrue(
          ready.body().contains("\"reason\":\"database: Connection refused\""), ready.body());
      assertTrue(p.isAlive());
      p.terminate();
      assertEquals(0, p.awaitExit(Duration.ofSeconds(10)), p.output());
      assertTrue(p.output().contains("waiting for the database"), p.output());
      assertTrue(!p.output().contains("secret"), "the password must not be logged:\n" + p.output());
    }
  }
}
