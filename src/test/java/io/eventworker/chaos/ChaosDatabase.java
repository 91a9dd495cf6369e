package io.eventworker.chaos;

import io.eventworker.testing.PostgresCluster;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;

/**
 * One scenario's database on the suite's own cluster, cloned from a migrated template. Reached
 * directly (the test's own connections), or through another port such as a {@code TcpProxy}'s (the
 * workers' connections).
 */
final class ChaosDatabase {

  private final PostgresCluster cluster;
  private final String name;

  private ChaosDatabase(PostgresCluster cluster, String name) {
    this.cluster = cluster;
    this.name = name;
  }

  /** Creates database {@code name} as a copy of {@code template}. */
  static ChaosDatabase create(PostgresCluster cluster, String name, String template)
      throws SQLException {
    cluster.execute(
        "postgres",
        "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)",
        "CREATE DATABASE " + name + " TEMPLATE " + template);
    return new ChaosDatabase(cluster, name);
  }

  /** A DATABASE_URL straight to the cluster. */
  String url() {
    return cluster.url(name);
  }

  /** A DATABASE_URL through another port of 127.0.0.1 (a proxy in front of the cluster). */
  String urlThroughPort(int port) {
    return "postgresql://postgres@127.0.0.1:" + port + "/" + name;
  }

  /** Worker settings: DATABASE_URL straight to the cluster plus the given variables. */
  Map<String, String> env(String... keyValues) {
    return envWithUrl(url(), keyValues);
  }

  static Map<String, String> envWithUrl(String url, String... keyValues) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", url);
    env.put("LOG_LEVEL", "INFO");
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return env;
  }

  /**
   * A new auto-commit connection in UTC, the zone the worker writes in (so that created_at and
   * processed_at compare).
   */
  Connection connect() throws SQLException {
    Connection c = cluster.connect(name);
    try (Statement s = c.createStatement()) {
      s.execute("SET TIME ZONE 'UTC'");
    }
    return c;
  }

  void execute(String... statements) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  long queryLong(String sql) throws SQLException {
    try (Connection c = connect()) {
      return queryLong(c, sql);
    }
  }

  static long queryLong(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("no row from: " + sql);
      }
      return rs.getLong(1);
    }
  }

  /** Drops the database (and any session still in it). */
  void drop() throws SQLException {
    cluster.execute("postgres", "DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
  }
}
