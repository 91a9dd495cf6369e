package io.eventworker.testing;

import io.eventworker.config.WorkerConfig;
import io.eventworker.db.Migrations;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A fresh database for each test, dropped after it, so that no test sees another's rows and the
 * server stays clean. Databases are cloned from a template built once per run (CREATE DATABASE ...
 * TEMPLATE), which is much faster than migrating each one.
 *
 * <pre>{@code @RegisterExtension final TestDatabase db = TestDatabase.migrated();}</pre>
 */
public final class TestDatabase implements BeforeEachCallback, AfterEachCallback {

  /** What a new database starts with. */
  public enum Schema {
    /** Nothing: for testing migrate itself. */
    EMPTY,
    /** database/init.sql only, as the original description's container creates it. */
    INIT_SQL,
    /** init.sql and every migration: what the worker runs on. */
    MIGRATED
  }

  private static final Map<Schema, String> TEMPLATES = new ConcurrentHashMap<>();
  private static final Set<String> LIVE = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(TestDatabase::dropAll, "drop-test-databases"));
  }

  private final Schema schema;
  private String name;

  private TestDatabase(Schema schema) {
    this.schema = schema;
  }

  public static TestDatabase migrated() {
    return new TestDatabase(Schema.MIGRATED);
  }

  public static TestDatabase initSqlOnly() {
    return new TestDatabase(Schema.INIT_SQL);
  }

  public static TestDatabase empty() {
    return new TestDatabase(Schema.EMPTY);
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    name = create(schema);
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    drop(name);
  }

  public String name() {
    return name;
  }

  /** This database as a DATABASE_URL. */
  public String url() {
    return PostgresServer.get().url(name);
  }

  /** A new auto-commit connection. */
  public Connection connect() throws SQLException {
    return PostgresServer.get().connect(name);
  }

  /** An unpooled DataSource, for code under test that takes one. */
  public PGSimpleDataSource dataSource() {
    return dataSource(name);
  }

  private static PGSimpleDataSource dataSource(String database) {
    PostgresServer server = PostgresServer.get();
    PGSimpleDataSource ds = new PGSimpleDataSource();
    ds.setServerNames(new String[] {server.host()});
    ds.setPortNumbers(new int[] {server.port()});
    ds.setDatabaseName(database);
    ds.setUser(server.user());
    ds.setPassword(server.password());
    return ds;
  }

  /**
   * Runs psql (which must be installed) on this database as the server's user, {@code args} after
   * the connection options: {@code psql("-f", "database/roles.sql")}.
   */
  public Programs.Result psql(String... args) {
    PostgresServer server = PostgresServer.get();
    List<String> command =
        new ArrayList<>(
            List.of(
                Programs.require("psql"),
                "-X",
                "-q",
                "-v",
                "ON_ERROR_STOP=1",
                "-h",
                server.host(),
                "-p",
                Integer.toString(server.port()),
                "-U",
                server.user(),
                "-d",
                name));
    command.addAll(List.of(args));
    Map<String, String> env =
        server.password() == null ? Map.of() : Map.of("PGPASSWORD", server.password());
    return Programs.run(env, Duration.ofMinutes(2), command.toArray(String[]::new));
  }

  /**
   * Each row of {@code sql} as text: {@code render} turns a column's name and value into what a
   * test compares, such as a count written as a page writes it.
   */
  public List<List<String>> textRows(String sql, BiFunction<String, Object, String> render)
      throws SQLException {
    List<List<String>> rows = new ArrayList<>();
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
          row.add(render.apply(rs.getMetaData().getColumnName(i), rs.getObject(i)));
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /** The worker's settings for this database: DATABASE_URL plus the given variables. */
  public WorkerConfig config(String... keyValues) {
    return WorkerConfig.fromEnvironment(env(keyValues));
  }

  /** The environment a worker process needs for this database, plus the given variables. */
  public Map<String, String> env(String... keyValues) {
    Map<String, String> env = new HashMap<>();
    env.put("DATABASE_URL", url());
    for (int i = 0; i + 1 < keyValues.length; i += 2) {
      env.put(keyValues[i], keyValues[i + 1]);
    }
    return env;
  }

  /** Runs SQL statements, auto-committed. */
  public void execute(String... statements) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      for (String sql : statements) {
        s.execute(sql);
      }
    }
  }

  /** The single number a query returns, such as a count. */
  public long queryLong(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        var rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new SQLException("no row from: " + sql);
      }
      return rs.getLong(1);
    }
  }

  private static String create(Schema schema) throws SQLException {
    String template = TEMPLATES.computeIfAbsent(schema, TestDatabase::buildTemplate);
    String name = "ew_test_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    PostgresServer.get().admin("CREATE DATABASE " + name + " TEMPLATE " + template);
    LIVE.add(name);
    return name;
  }

  private static String buildTemplate(Schema schema) {
    String name =
        "ew_tpl_"
            + schema.name().toLowerCase()
            + "_"
            + UUID.randomUUID().toString().replace("-", "").substring(0, 8);
    try {
      PostgresServer server = PostgresServer.get();
      server.admin("CREATE DATABASE " + name + " TEMPLATE template0 ENCODING 'UTF8'");
      LIVE.add(name);
      if (schema == Schema.INIT_SQL) {
        try (Connection c = server.connect(name);
            Statement s = c.createStatement()) {
          s.execute(initSql());
        }
      } else if (schema == Schema.MIGRATED) {
        new Migrations(dataSource(name)).migrate();
      }
      return name;
    } catch (SQLException e) {
      throw new IllegalStateException("cannot build template database " + name, e);
    }
  }

  /** The original description's schema file, as a producer's container would run it. */
  public static String initSql() {
    try {
      return Files.readString(Path.of("database/init.sql"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      try (InputStream in = TestDatabase.class.getResourceAsStream("/db/seed/init.sql")) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException | NullPointerException e2) {
        throw new IllegalStateException("cannot find database/init.sql", e);
      }
    }
  }

  private static void drop(String name) throws SQLException {
    if (name != null && LIVE.remove(name)) {
      PostgresServer.get().admin("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
    }
  }

  private static void dropAll() {
    for (String name : Set.copyOf(LIVE)) {
      try {
        drop(name);
      } catch (SQLException e) {
        System.err.println("[event-worker tests] could not drop " + name + ": " + e.getMessage());
      }
    }
  }
}
