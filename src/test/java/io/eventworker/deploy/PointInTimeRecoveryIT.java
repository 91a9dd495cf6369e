package io.eventworker.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.PostgresCluster;
import io.eventworker.testing.Programs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/backup's point-in-time recovery, on a cluster of the test's own running
 * deploy/postgres/postgresql.conf (WAL archived): basebackup.sh takes a base backup, deletes the
 * ones past retention and the archived WAL only they needed, and records the run; restore-pitr.sh
 * and the archive bring the database back to a moment between two commits.
 */
class PointInTimeRecoveryIT {

  private static final Path CONFIG = Path.of("deploy/postgres/postgresql.conf");
  private static final String SEGMENT = "[0-9A-F]{24}";

  @TempDir Path backups;

  @Test
  void oldWalGoesWithOldBaseBackupsAndTheArchiveRestoresToAMoment() throws Exception {
    try (PostgresCluster cluster = PostgresCluster.start(CONFIG);
        PostgresCluster restored = PostgresCluster.forRestore()) {
      cluster.execute("postgres", "CREATE DATABASE pitr");
      cluster.execute("pitr", "CREATE TABLE t (id int PRIMARY KEY, phase text NOT NULL)",
          "INSERT INTO t SELECT g, 'first' FROM generate_series(1, 1000) g");
      Path first = baseBackup(cluster);
      Files.setLastModifiedTime(first, FileTime.from(Instant.now().minus(Duration.ofDays(9))));
      for (int i = 0; i < 3; i++) {
        cluster.execute("pitr", "INSERT INTO t SELECT 10000 * " + (i + 1) + " + g, 'between' FROM generate_series(1, 100) g");
        switchAndAwaitArchived(cluster);
      }
      List<String> walBefore = segments(cluster.archiveDir());

      Path second = baseBackup(cluster);
      assertFalse(Files.exists(first), "the base backup older than 7 days was deleted");
      assertEquals("base " + second, cluster.queryString("pitr",
          "SELECT kind || ' ' || file FROM backup.runs ORDER BY finished_at DESC LIMIT 1"));
      String start = firstSegment(second);
      assertTrue(walBefore.stream().anyMatch(s -> s.compareTo(start) < 0), walBefore + " holds WAL older than " + start);
      List<String> walAfter = segments(cluster.archiveDir());
      assertTrue(walAfter.stream().allMatch(s -> s.compareTo(start) >= 0),
          "every WAL segment older than the oldest base backup kept (" + start + ") is deleted: " + walAfter);

      cluster.execute("pitr", "INSERT INTO t SELECT 100000 + g, 'kept' FROM generate_series(1, 500) g");
      String moment = cluster.queryString("pitr",
          "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') || '+00'");
      Thread.sleep(50);
      cluster.execute("pitr", "INSERT INTO t SELECT 200000 + g, 'lost' FROM generate_series(1, 500) g");
      switchAndAwaitArchived(cluster);

      Programs.Result r = script(cluster, "restore-pitr.sh", "--target-time", moment, second.toString(),
          restored.dataDir().toString());
      assertEquals(0, r.status(), "restore-pitr.sh:\n" + r.output());
      restored.startServer();
      await().atMost(Duration.ofSeconds(60)).until(() -> "f".equals(restored.queryString("postgres", "SELECT pg_is_in_recovery()")));
      assertEquals("first=1000 between=300 kept=500",
          restored.queryString("pitr", "SELECT string_agg(phase || '=' || n, ' ' ORDER BY min) FROM"
              + " (SELECT phase, count(*) AS n, min(id) FROM t GROUP BY phase) p"));
    }
  }

  @Test
  void badArgumentsAreRefusedAndTouchNothing() throws Exception {
    Path data = backups.resolve("data");
    Files.createDirectories(data.resolve("old"));
    Map<String, String> env = Map.of("WAL_ARCHIVE_DIR", backups.toString());
    Programs.Result notEmpty = Programs.run(env, Duration.ofSeconds(30), "sh", "deploy/backup/restore-pitr.sh",
        backups.toString(), data.toString());
    assertEquals(1, notEmpty.status(), notEmpty.output());
    assertTrue(notEmpty.output().contains("is not a base backup made by basebackup.sh"), notEmpty.output());
    Programs.Result badTime = Programs.run(env, Duration.ofSeconds(30), "sh", "deploy/backup/restore-pitr.sh",
        "--target-time", "yesterday", backups.toString(), data.toString());
    assertTrue(badTime.status() != 0 && badTime.output().contains("--target-time 'yesterday'"), badTime.output());
    Programs.Result noArchive = Programs.run(Map.of("PATH", System.getenv("PATH")), Duration.ofSeconds(30),
        "sh", "deploy/backup/basebackup.sh");
    assertTrue(noArchive.status() != 0 && noArchive.output().contains("WAL_ARCHIVE_DIR is not set"), noArchive.output());
    assertTrue(Files.isDirectory(data.resolve("old")), "the data folder was left as found");
  }

  /** Runs basebackup.sh against {@code cluster}; returns the base backup it made. */
  private Path baseBackup(PostgresCluster cluster) throws Exception {
    List<Path> before = baseBackups();
    Programs.Result r = script(cluster, "basebackup.sh");
    assertEquals(0, r.status(), "basebackup.sh:\n" + r.output());
    List<Path> made = baseBackups().stream().filter(p -> !before.contains(p)).toList();
    assertEquals(1, made.size(), made.toString());
    return made.get(0);
  }

  private Programs.Result script(PostgresCluster cluster, String script, String... args) {
    Map<String, String> env = new HashMap<>(Map.of(
        "PATH", cluster.programs() + ":" + System.getenv("PATH"),
        "PGHOST", "127.0.0.1", "PGPORT", Integer.toString(cluster.port()), "PGUSER", "postgres", "PGDATABASE", "pitr",
        "BACKUP_DIR", backups.toString(), "BACKUP_RETENTION_DAYS", "7",
        "WAL_ARCHIVE_DIR", cluster.archiveDir().toString()));
    String[] command = new String[args.length + 2];
    command[0] = "sh";
    command[1] = "deploy/backup/" + script;
    System.arraycopy(args, 0, command, 2, args.length);
    return Programs.run(env, Duration.ofMinutes(2), command);
  }

  private List<Path> baseBackups() throws Exception {
    try (Stream<Path> files = Files.list(backups)) {
      return files.filter(p -> p.getFileName().toString().matches("base-\\d{8}T\\d{6}Z")).sorted().toList();
    }
  }

  /** The first WAL segment a recovery from {@code base} reads, as its backup_label says. */
  private static String firstSegment(Path base) throws Exception {
    Programs.Result label = Programs.run(Map.of(), Duration.ofSeconds(30), "tar", "-xzOf",
        base.resolve("base.tar.gz").toString(), "backup_label");
    assertEquals(0, label.status(), label.output());
    String start = label.output().replaceAll("(?s).*START WAL LOCATION: \\S+ \\(file (" + SEGMENT + ")\\).*", "$1");
    assertTrue(start.matches(SEGMENT), label.output());
    return start;
  }

  /** Ends the current WAL segment and waits until the archive has it. */
  private static void switchAndAwaitArchived(PostgresCluster cluster) throws Exception {
    String segment = cluster.queryString("postgres", "SELECT pg_walfile_name(pg_switch_wal())");
    await().atMost(Duration.ofSeconds(30)).until(() -> Files.exists(cluster.archiveDir().resolve(segment)));
  }

  private static List<String> segments(Path archive) throws Exception {
    try (Stream<Path> files = Files.list(archive)) {
      return files.map(p -> p.getFileName().toString()).filter(n -> n.matches(SEGMENT)).sorted().toList();
    }
  }
}
