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
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * deploy/backup's point-in-time recovery, on a cluster of the test's own running
 * deploy/postgres/postgresql.conf (WAL archived): basebackup.sh takes a base backup, deletes the
 * ones past retention and the archived WAL only they needed, and records the run; restore-pitr.sh
 * and the archive bring the database back to a moment between two commits.
 */
@Tag("deploy")
class PointInTimeRecoveryIT {

  private static final Path CONFIG = Path.of("deploy/postgres/postgresql.conf");
  private static final String SEGMENT = "[0-9A-F]{24}";

  @TempDir Path backups;

  @Test
  void oldWalGoesWithOldBaseBackupsAndTheArchiveRestoresToAMoment() throws Exception {
    try (PostgresCluster cluster = PostgresCluster.start(CONFIG);
        PostgresCluster restored = PostgresCluster.forRestore();
        PostgresCluster restoredAgain = PostgresCluster.forRestore()) {
      cluster.execute("postgres", "CREATE DATABASE pitr");
      cluster.execute(
          "pitr",
          "CREATE TABLE t (id int PRIMARY KEY, phase text NOT NULL)",
          "INSERT INTO t SELECT g, 'first' FROM generate_series(1, 1000) g");
      Path first = baseBackup(cluster, backups, cluster.archiveDir());
      Files.setLastModifiedTime(first, FileTime.from(Instant.now().minus(Duration.ofDays(9))));
      for (int i = 0; i < 3; i++) {
        cluster.execute(
            "pitr",
            "INSERT INTO t SELECT 10000 * "
                + (i + 1)
                + " + g, 'between' FROM generate_series(1, 100) g");
        switchAndAwaitArchived(cluster);
      }
      List<String> walBefore = segments(cluster.archiveDir());

      Path second = baseBackup(cluster, backups, cluster.archiveDir());
      assertFalse(Files.exists(first), "the base backup older than 7 days was deleted");
      assertEquals(
          "base " + second,
          cluster.queryString(
              "pitr",
              "SELECT kind || ' ' || file FROM backup.runs ORDER BY finished_at DESC LIMIT 1"));
      String start = firstSegment(second);
      assertTrue(
          walBefore.stream().anyMatch(s -> s.compareTo(start) < 0),
          walBefore + " holds WAL older than " + start);
      List<String> walAfter = segments(cluster.archiveDir());
      assertTrue(
          walAfter.stream().allMatch(s -> s.compareTo(start) >= 0),
          "every WAL segment older than the oldest base backup kept ("
              + start
              + ") is deleted: "
              + walAfter);

      // After a point-in-time restore, a new timeline reuses segment numbers lower than those of
      // base backups taken later on the old one: the lowest number kept counts, not the oldest
      // name.
      Path later =
          fakeBaseBackup(backups.resolve("base-20991231T235959Z"), "000000020000000000000001");
      Path neededByIt = Files.createFile(cluster.archiveDir().resolve("000000020000000000000003"));
      baseBackup(cluster, backups, cluster.archiveDir());
      assertTrue(
          Files.exists(neededByIt), "WAL a kept base backup of a later timeline needs is kept");
      deleteTree(later);

      cluster.execute(
          "pitr", "INSERT INTO t SELECT 100000 + g, 'kept' FROM generate_series(1, 500) g");
      String moment =
          cluster.queryString(
              "pitr",
              "SELECT to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') ||"
                  + " '+00'");
      Thread.sleep(50);
      cluster.execute(
          "pitr", "INSERT INTO t SELECT 200000 + g, 'lost' FROM generate_series(1, 500) g");
      switchAndAwaitArchived(cluster);

      restore(cluster.archiveDir(), second, restored, "--target-time", moment);
      assertEquals("first=1000 between=300 kept=500", phases(restored));

      // The restored cluster carries the recovery settings in postgresql.auto.conf, and so do its
      // base backups: restoring one of those to the end of its WAL must not stop at the first
      // restore's moment. (It archives nothing; its own pg_wal serves as the archive here.)
      Path otherBackups = Files.createDirectories(backups.resolve("of-restored"));
      Path ofRestored =
          baseBackup(
              restored, otherBackups, Files.createDirectories(backups.resolve("no-archive")));
      restored.execute(
          "pitr", "INSERT INTO t SELECT 300000 + g, 'after' FROM generate_series(1, 200) g");
      restored.queryString("postgres", "SELECT pg_walfile_name(pg_switch_wal())");
      restore(restored.dataDir().resolve("pg_wal"), ofRestored, restoredAgain);
      assertEquals("first=1000 between=300 kept=500 after=200", phases(restoredAgain));
    }
  }

  @Test
  void badArgumentsAreRefusedAndTouchNothing() throws Exception {
    Path data = backups.resolve("data");
    Files.createDirectories(data.resolve("old"));
    Map<String, String> env = Map.of("WAL_ARCHIVE_DIR", backups.toString());
    Programs.Result notABackup =
        Programs.run(
            env,
            Duration.ofSeconds(30),
            "sh",
            "deploy/backup/restore-pitr.sh",
            backups.toString(),
            data.toString());
    assertEquals(1, notABackup.status(), notABackup.output());
    assertTrue(
        notABackup.output().contains("is not a base backup made by basebackup.sh"),
        notABackup.output());
    Programs.Result badTime =
        Programs.run(
            env,
            Duration.ofSeconds(30),
            "sh",
            "deploy/backup/restore-pitr.sh",
            "--target-time",
            "yesterday",
            backups.toString(),
            data.toString());
    assertTrue(
        badTime.status() != 0 && badTime.output().contains("--target-time 'yesterday'"),
        badTime.output());
    Programs.Result noZone =
        Programs.run(
            env,
            Duration.ofSeconds(30),
            "sh",
            "deploy/backup/restore-pitr.sh",
            "--target-time",
            "2026-11-25 03:10:00",
            backups.toString(),
            data.toString());
    assertTrue(
        noZone.status() != 0 && noZone.output().contains("with its time zone"), noZone.output());
    Programs.Result noArchive =
        Programs.run(
            Map.of("PATH", System.getenv("PATH")),
            Duration.ofSeconds(30),
            "sh",
            "deploy/backup/basebackup.sh");
    assertTrue(
        noArchive.status() != 0 && noArchive.output().contains("WAL_ARCHIVE_DIR is not set"),
        noArchive.output());
    assertTrue(Files.isDirectory(data.resolve("old")), "the data folder was left as found");
  }

  /** Runs basebackup.sh against {@code cluster}; returns the base backup it made. */
  private Path baseBackup(PostgresCluster cluster, Path backupDir, Path archive) throws Exception {
    List<Path> before = baseBackups(backupDir);
    Programs.Result r = script(cluster, backupDir, archive, "basebackup.sh");
    assertEquals(0, r.status(), "basebackup.sh:\n" + r.output());
    List<Path> made = baseBackups(backupDir).stream().filter(p -> !before.contains(p)).toList();
    assertEquals(1, made.size(), made.toString());
    return made.get(0);
  }

  /**
   * Runs restore-pitr.sh into {@code target}'s data folder, starts it and waits for its promotion.
   */
  private void restore(Path archive, Path base, PostgresCluster target, String... options)
      throws Exception {
    String[] args = new String[options.length + 2];
    System.arraycopy(options, 0, args, 0, options.length);
    args[options.length] = base.toString();
    args[options.length + 1] = target.dataDir().toString();
    Programs.Result r = script(target, backups, archive, "restore-pitr.sh", args);
    assertEquals(0, r.status(), "restore-pitr.sh:\n" + r.output());
    target.startServer();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> "f".equals(target.queryString("postgres", "SELECT pg_is_in_recovery()")));
  }

  private Programs.Result script(
      PostgresCluster cluster, Path backupDir, Path archive, String script, String... args) {
    Map<String, String> env =
        new HashMap<>(
            Map.of(
                "PATH",
                cluster.programs() + ":" + System.getenv("PATH"),
                "PGHOST",
                "127.0.0.1",
                "PGPORT",
                Integer.toString(cluster.port()),
                "PGUSER",
                "postgres",
                "PGDATABASE",
                "pitr",
                "BACKUP_DIR",
                backupDir.toString(),
                "BACKUP_RETENTION_DAYS",
                "7",
                "WAL_ARCHIVE_DIR",
                archive.toString()));
    String[] command = new String[args.length + 2];
    command[0] = "sh";
    command[1] = "deploy/backup/" + script;
    System.arraycopy(args, 0, command, 2, args.length);
    return Programs.run(env, Duration.ofMinutes(2), command);
  }

  /**
   * A base backup folder whose backup_label names {@code segment} as its first; nothing else in it
   * is real.
   */
  private static Path fakeBaseBackup(Path folder, String segment) throws Exception {
    Path label = Files.createDirectories(folder.resolveSibling(folder.getFileName() + "-label"));
    Files.writeString(
        label.resolve("backup_label"), "START WAL LOCATION: 0/1000028 (file " + segment + ")\n");
    Files.createDirectories(folder);
    Programs.Result tar =
        Programs.run(
            Map.of(),
            Duration.ofSeconds(30),
            "tar",
            "-czf",
            folder.resolve("base.tar.gz").toString(),
            "-C",
            label.toString(),
            "backup_label");
    assertEquals(0, tar.status(), tar.output());
    deleteTree(label);
    return folder;
  }

  private static void deleteTree(Path root) throws Exception {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static String phases(PostgresCluster cluster) throws Exception {
    return cluster.queryString(
        "pitr",
        "SELECT string_agg(phase || '=' || n, ' ' ORDER BY min) FROM"
            + " (SELECT phase, count(*) AS n, min(id) FROM t GROUP BY phase) p");
  }

  private static List<Path> baseBackups(Path backupDir) throws Exception {
    try (Stream<Path> files = Files.list(backupDir)) {
      return files
          .filter(p -> p.getFileName().toString().matches("base-\\d{8}T\\d{6}Z"))
          .sorted()
          .toList();
    }
  }

  /** The first WAL segment a recovery from {@code base} reads, as its backup_label says. */
  private static String firstSegment(Path base) throws Exception {
    Programs.Result label =
        Programs.run(
            Map.of(),
            Duration.ofSeconds(30),
            "tar",
            "-xzOf",
            base.resolve("base.tar.gz").toString(),
            "backup_label");
    assertEquals(0, label.status(), label.output());
    String start =
        label
            .output()
            .replaceAll("(?s).*START WAL LOCATION: \\S+ \\(file (" + SEGMENT + ")\\).*", "$1");
    assertTrue(start.matches(SEGMENT), label.output());
    return start;
  }

  /** Ends the current WAL segment and waits until the archive has it. */
  private static void switchAndAwaitArchived(PostgresCluster cluster) throws Exception {
    String segment = cluster.queryString("postgres", "SELECT pg_walfile_name(pg_switch_wal())");
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> Files.exists(cluster.archiveDir().resolve(segment)));
  }

  private static List<String> segments(Path archive) throws Exception {
    try (Stream<Path> files = Files.list(archive)) {
      return files
          .map(p -> p.getFileName().toString())
          .filter(n -> n.matches(SEGMENT))
          .sorted()
          .toList();
    }
  }
}
