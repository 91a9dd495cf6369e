package io.eventworker.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Fixtures;
import io.eventworker.testing.PostgresServer;
import io.eventworker.testing.Programs;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/backup: a backup taken by backup.sh restores, with restore-full.sh, into a new database
 * with the same rows in all four tables; restore-table.sh puts one table back; old dumps go; the
 * success is recorded where the exporter reads it.
 */
@Tag("deploy")
class BackupRestoreIT {

  private static final List<String> TABLES = List.of("users", "data_entries", "events", "metrics");

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();
  @TempDir Path backups;

  private final PostgresServer server = PostgresServer.get();
  private final String restored =
      "ew_restore_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);

  @AfterEach
  void dropRestored() throws Exception {
    server.admin("DROP DATABASE IF EXISTS " + restored + " WITH (FORCE)");
  }

  @Test
  void aBackupRestoresIntoANewDatabaseWithEqualRowCounts() throws Exception {
    db.execute(
        "INSERT INTO users (name, email) SELECT 'user ' || g, 'u' || g || '@example.com' FROM"
            + " generate_series(1, 20) g");
    db.execute(
        "INSERT INTO events (event_type, user_id, data) SELECT 'data_entry', 1 + g % 20,"
            + " jsonb_build_object('key', 'k' || g) FROM generate_series(1, 300) g");
    Fixtures.insertMixed(db, 3001, 3600, 50);
    try (RunningWorker worker = RunningWorker.start(db.config())) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
    }
    Map<String, Long> before = counts(db.name());
    assertTrue(before.values().stream().allMatch(n -> n > 0), before.toString());

    // A dump older than the 7 days kept, to be deleted by the run.
    Path old = Files.createFile(backups.resolve(db.name() + "-20000101T020000Z.dump"));
    Files.setLastModifiedTime(old, FileTime.from(Instant.now().minus(Duration.ofDays(9))));

    assertScript("backup.sh");
    List<Path> dumps = dumps();
    assertEquals(1, dumps.size(), dumps.toString());
    assertTrue(
        dumps.get(0).getFileName().toString().matches(db.name() + "-\\d{8}T\\d{6}Z\\.dump"),
        dumps.toString());
    assertFalse(Files.exists(old), "the dump older than 7 days was deleted");
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM backup.runs WHERE kind = 'dump' AND finished_at > now() -"
                + " interval '1 minute' AND bytes > 0"));

    server.admin("CREATE DATABASE " + restored);
    assertScript("restore-full.sh", dumps.get(0).toString(), restored);
    assertEquals(before, counts(restored));

    // One table: lose the metrics rows, then put them back from the same dump.
    try (Connection c = server.connect(restored);
        Statement s = c.createStatement()) {
      s.execute("DELETE FROM metrics WHERE id % 2 = 0");
    }
    assertScript("restore-table.sh", dumps.get(0).toString(), "metrics", restored);
    assertEquals(before, counts(restored));
  }

  private void assertScript(String script, String... args) {
    String[] command = new String[args.length + 2];
    command[0] = "sh";
    command[1] = "deploy/backup/" + script;
    System.arraycopy(args, 0, command, 2, args.length);
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "PGHOST",
                server.host(),
                "PGPORT",
                Integer.toString(server.port()),
                "PGUSER",
                server.user(),
                "PGDATABASE",
                db.name(),
                "BACKUP_DIR",
                backups.toString(),
                "BACKUP_RETENTION_DAYS",
                "7"));
    if (server.password() != null) {
      env.put("PGPASSWORD", server.password());
    }
    Programs.require("pg_dump");
    Programs.Result r = Programs.run(env, Duration.ofMinutes(2), command);
    assertEquals(0, r.status(), script + ":\n" + r.output());
  }

  private List<Path> dumps() throws Exception {
    try (Stream<Path> files = Files.list(backups)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".dump")).sorted().toList();
    }
  }

  private Map<String, Long> counts(String database) throws Exception {
    Map<String, Long> counts = new HashMap<>();
    try (Connection c = server.connect(database);
        Statement s = c.createStatement()) {
      for (String table : TABLES) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
          rs.next();
          counts.put(table, rs.getLong(1));
        }
      }
    }
    return counts;
  }
}
