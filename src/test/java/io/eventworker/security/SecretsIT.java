package io.eventworker.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.PostgresServer;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The database password never reaches a log line or an error message, even at DEBUG. */
@Tag("process")
class SecretsIT {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  private final PostgresServer server = PostgresServer.get();
  private final String role = "ew_secret_" + UUID.randomUUID().toString().substring(0, 8);
  private final String password = "Pw-" + UUID.randomUUID();

  @BeforeEach
  void createRole() throws Exception {
    server.admin("CREATE ROLE " + role + " LOGIN SUPERUSER PASSWORD '" + password + "'");
  }

  @AfterEach
  void dropRole() throws Exception {
    server.admin("DROP ROLE IF EXISTS " + role);
  }

  @Test
  void theDaemonNeverLogsThePassword() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('metric', '{\"name\":\"n\",\"value\":1}'),"
            + " ('metric', '{}')");
    Map<String, String> env =
        Map.of("DATABASE_URL", server.url(db.name(), role, password), "LOG_LEVEL", "DEBUG");
    try (WorkerProcess worker = WorkerProcess.run("secrets", env)) {
      worker.awaitReady(Duration.ofSeconds(30));
      long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > 0
          && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      // Both events went through the worker, the failing one logged, before the log is read.
      assertEquals(
          0, db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'"), worker.output());
      assertTrue(worker.get("/metrics").body().contains("eventworker_events_total"));
      worker.terminate();
      assertEquals(0, worker.awaitExit(Duration.ofSeconds(10)));
      String output = worker.output();
      assertTrue(output.contains("DEBUG"), "ran at DEBUG");
      assertTrue(output.contains(role), "the log names the user it connects as");
      assertFalse(output.contains(password), "the password is in the log:\n" + output);
    }
  }

  @Test
  void commandsNeverShowThePasswordInTheirErrors() throws Exception {
    int closed = WorkerProcess.freePort();
    for (String[] command :
        new String[][] {
          {"status"}, {"migrate"}, {"retry", "--all"}, {"enqueue", "--type", "t", "--data", "{}"}
        }) {
      for (String url :
          new String[] {
            "postgresql://" + role + ":" + password + "@127.0.0.1:" + closed + "/" + db.name(),
            "jdbc:postgresql://127.0.0.1:"
                + closed
                + "/"
                + db.name()
                + "?user="
                + role
                + "&password="
                + password
          }) {
        WorkerProcess p =
            WorkerProcess.start(
                "secrets-" + command[0],
                Map.of("DATABASE_URL", url, "LOG_LEVEL", "DEBUG"),
                command);
        assertEquals(1, p.awaitExit(Duration.ofSeconds(30)), p.output());
        assertFalse(
            p.output().contains(password),
            String.join(" ", command) + " shows the password:\n" + p.output());
      }
    }
  }
}
