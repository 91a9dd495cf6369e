package io.eventworker.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.config.WorkerConfig;
import io.eventworker.testing.Jar;
import io.eventworker.testing.PostgresCluster;
import io.eventworker.testing.Programs;
import io.eventworker.testing.RunningWorker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A PostgreSQL 15 started on deploy/postgres/postgresql.conf: it comes up with every setting
 * accepted, pg_stat_statements answers, WAL is archived, and every query in deploy/sql runs.
 */
@Tag("deploy")
class PostgresConfigIT {

  private static final Path CONFIG = Path.of("deploy/postgres/postgresql.conf");
  private static PostgresCluster cluster;

  @BeforeAll
  static void startOnTheDeployConfig() throws Exception {
    cluster = PostgresCluster.start(CONFIG);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  @Test
  void everySettingIsValidFor15AndInEffect() throws Exception {
    try (Connection c = cluster.connect("postgres");
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT name, error FROM pg_file_settings WHERE error IS NOT NULL OR NOT applied")) {
        StringBuilder problems = new StringBuilder();
        while (rs.next()) {
          problems.append(rs.getString(1)).append(": ").append(rs.getString(2)).append('\n');
        }
        // Only settings overridden for this test (port, sockets...) may be shadowed.
        for (String line : problems.toString().split("\n")) {
          assertTrue(
              line.isEmpty()
                  || line.startsWith("port:")
                  || line.startsWith("listen_addresses:")
                  || line.startsWith("archive_command:")
                  || line.startsWith("unix_socket_directories:"),
              "postgresql.conf has settings PostgreSQL 15 rejects:\n" + problems);
        }
      }
      for (String[] expected :
          List.of(
              new String[] {"max_wal_size", "1536MB"},
              new String[] {"shared_buffers", "256MB"},
              new String[] {"max_connections", "100"},
              new String[] {"superuser_reserved_connections", "3"},
              new String[] {"work_mem", "4MB"},
              new String[] {"effective_cache_size", "1GB"},
              new String[] {"checkpoint_completion_target", "0.9"},
              new String[] {"random_page_cost", "1.1"},
              new String[] {"shared_preload_libraries", "pg_stat_statements"},
              new String[] {"archive_mode", "on"},
              new String[] {"wal_level", "replica"},
              new String[] {"log_statement", "mod"},
              new String[] {"log_min_duration_statement", "100ms"},
              new String[] {"log_connections", "on"},
              new String[] {
                "log_line_prefix", "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h "
              })) {
        try (ResultSet rs = s.executeQuery("SELECT current_setting('" + expected[0] + "')")) {
          rs.next();
          assertEquals(expected[1], rs.getString(1), expected[0]);
        }
      }
    }
  }

  @Test
  void pgStatStatementsAnswersWithThe15Columns() throws Exception {
    try (Connection c = cluster.connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      s.execute("SELECT count(*) FROM pg_class");
      try (ResultSet rs =
          s.executeQuery(
              "SELECT sum(calls), sum(total_exec_time), max(mean_exec_time) FROM"
                  + " pg_stat_statements")) {
        rs.next();
        assertTrue(rs.getLong(1) > 0);
      }
    }
  }

  @Test
  void walSegmentsAreArchived() throws Exception {
    try (Connection c = cluster.connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS wal_probe AS SELECT generate_series(1, 1000) AS n");
      s.execute("SELECT pg_switch_wal()");
    }
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (archived() == 0 && System.nanoTime() < deadline) {
      Thread.sleep(100);
    }
    assertTrue(archived() > 0, "no WAL segment archived:\n" + cluster.serverLog());
  }

  @Test
  void everyOperationsQueryRunsOnAWorkerDatabase() throws Exception {
    try (Connection c = cluster.connect("postgres");
        Statement s = c.createStatement()) {
      s.execute("DROP DATABASE IF EXISTS ops");
      s.execute("CREATE DATABASE ops");
    }
    Map<String, String> env = Map.of("DATABASE_URL", cluster.url("ops"));
    Jar.run(env, "migrate");
    try (Connection c = cluster.connect("ops");
        Statement s = c.createStatement()) {
      s.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements");
      s.execute(
          "INSERT INTO events (event_type, data) VALUES ('metric', '{\"name\":\"x\",\"value\":1}'),"
              + " ('metric', '{\"name\":\"bad\"}'), ('invoice', '{}')");
    }
    try (RunningWorker worker =
        RunningWorker.start(
            WorkerConfig.fromEnvironment(Map.of("DATABASE_URL", cluster.url("ops"))))) {
      // The queries below look at the worker's results: the valid metric processed, the invalid
      // one failed, the invoice (no handler) left pending.
      await()
          .atMost(Duration.ofSeconds(30))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  cluster
                      .queryString(
                          "ops",
                          "SELECT count(*) FROM events WHERE status IN ('processed', 'failed')")
                      .equals("2"));
    }
    String psql = Programs.require("psql");
    List<Path> queries;
    try (Stream<Path> files = Files.list(Path.of("deploy/sql"))) {
      queries = files.filter(p -> p.toString().endsWith(".sql")).sorted().toList();
    }
    assertTrue(queries.size() >= 10, "deploy/sql holds " + queries);
    for (Path query : queries) {
      Programs.Result r =
          Programs.run(
              Map.of(),
              Duration.ofSeconds(60),
              psql,
              "-X",
              "-v",
              "ON_ERROR_STOP=1",
              "-h",
              "127.0.0.1",
              "-p",
              Integer.toString(cluster.port()),
              "-U",
              "postgres",
              "-d",
              "ops",
              "-f",
              query.toString());
      assertEquals(0, r.status(), query + ":\n" + r.output());
      if (query.endsWith("queue-failed.sql")) {
        assertTrue(r.output().contains("invalid payload: field 'value' is required"), r.output());
      }
      if (query.endsWith("queue-oldest-pending.sql")) {
        assertTrue(r.output().contains("invoice"), r.output());
      }
    }
  }

  private static long archived() throws Exception {
    try (Stream<Path> files = Files.list(cluster.archiveDir())) {
      return files.count();
    }
  }
}
