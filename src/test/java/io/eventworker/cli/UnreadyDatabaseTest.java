package io.eventworker.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Cli;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** What the one-shot commands say about a database they cannot use yet: the same, in one line. */
@Tag("database")
class UnreadyDatabaseTest {

  private static final List<List<String>> COMMANDS =
      List.of(
          List.of("status"),
          List.of("enqueue", "--type", "metric", "--data", "{}"),
          List.of("retry", "--all"),
          List.of("prune", "--older-than", "7d"));

  @RegisterExtension final TestDatabase db = TestDatabase.empty();

  @Test
  void anUnmigratedDatabaseAsksForMigrate() {
    for (List<String> command : COMMANDS) {
      Cli.Result result = Cli.run(db.env(), command.toArray(String[]::new));
      assertEquals(1, result.status(), result.toString());
      assertTrue(
          result
              .err()
              .startsWith(
                  "event-worker: database error: relation \"events\" does not exist [42P01]"
                      + ": is the schema migrated? run `event-worker migrate` first"),
          command + ": " + result.err());
      assertEquals(1, result.err().lines().count(), result.err());
    }
  }

  @Test
  void anUnknownHostIsNamedAndWordedAlikeByEveryCommand() {
    Map<String, String> env =
        Map.of("DATABASE_URL", "postgresql://postgres@no-such-host.invalid:5432/x");
    String expected =
        "event-worker: database error: cannot connect to no-such-host.invalid:5432: unknown host"
            + " no-such-host.invalid: check the host and port in DATABASE_URL, and that PostgreSQL"
            + " is running there\n";
    assertEquals(expected, Cli.run(env, "migrate").err());
    assertEquals(expected, Cli.run(env, "status").err());
    assertEquals(expected, Cli.run(env, "enqueue", "--type", "metric", "--data", "{}").err());
  }

  @Test
  void aRefusedConnectionIsWordedAlikeByMigrateAndTheOthers() {
    int port = WorkerProcess.freePort();
    Map<String, String> env =
        Map.of("DATABASE_URL", "postgresql://postgres@127.0.0.1:" + port + "/x");
    String expected =
        "event-worker: database error: cannot connect to 127.0.0.1:"
            + port
            + ": Connection refused"
            + ": check the host and port in DATABASE_URL, and that PostgreSQL is running there\n";
    Cli.Result migrate = Cli.run(env, "migrate");
    assertEquals(1, migrate.status(), migrate.toString());
    assertEquals(expected, migrate.err());
    assertEquals(expected, Cli.run(env, "status").err());
  }
}
