package io.eventworker.bench;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.ConnectionPool;
import io.eventworker.db.Migrations;
import io.eventworker.handler.builtin.DataEntryHandler;
import io.eventworker.handler.builtin.MetricHandler;
import io.eventworker.queue.QueueReports;
import io.eventworker.testing.HostileCorpus;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The benchmark's database: made fresh on the server of DATABASE_URL and dropped at the end (or,
 * with --database-url, one given by the user and kept), with the schema, 100 users and generated
 * events that every handler accepts.
 */
final class BenchDatabase implements AutoCloseable {

  static final int USERS = 100;

  // Half data entries, half metrics, in the sizes a producer would send.
  private static final String EVENTS =
      """
      INSERT INTO events (event_type, user_id, data, status, created_at, processed_at)
      SELECT CASE WHEN g % 2 = 1 THEN ? ELSE ? END,
             1 + g % ?,
             CASE WHEN g % 2 = 1
               THEN jsonb_build_object('key', 'setting-' || g, 'value', jsonb_build_object('enabled', g % 3 = 0),
                                       'type', 'preference', 'metadata', jsonb_build_object('source', 'bench'))
               ELSE jsonb_build_object('name', 'request_ms', 'value', (g % 1000) * 0.25,
                                       'tags', jsonb_build_object('route', '/api/' || g % 20))
             END,
             s.status,
             CASE WHEN s.status = 'processed' THEN LOCALTIMESTAMP - interval '30 days' ELSE LOCALTIMESTAMP END,
             CASE WHEN s.status = 'processed' THEN LOCALTIMESTAMP - interval '30 days' END
      FROM (VALUES (?::varchar)) AS s(status), generate_series(?, ?) AS g
      """;

  private static final String SETTING = "SELECT current_setting(?)";
  private static final String HOSTILE =
      "INSERT INTO events (event_type, user_id, data) VALUES (?, 1, ?::jsonb)";
  private static final String USERS_INSERT =
      """
      INSERT INTO users (name, email)
      SELECT 'user ' || g, 'user' || g || '@bench.example' FROM generate_series(1, ?) g
      ON CONFLICT DO NOTHING
      """;

  private final WorkerConfig config;
  private final WorkerConfig maintenance;
  private final boolean dropAtEnd;
  private long nextEvent = 1;

  private BenchDatabase(WorkerConfig config, WorkerConfig maintenance, boolean dropAtEnd) {
    this.config = config;
    this.maintenance = maintenance;
    this.dropAtEnd = dropAtEnd;
  }

  /** A new database on the server of {@code server}, migrated, with the users loaded. */
  static BenchDatabase createOn(WorkerConfig server) throws SQLException {
    String name =
        "event_worker_bench_"
            + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"))
            + "_"
            + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
    try (Connection c = ConnectionPool.openDedicated(server, ConnectionPool.Use.COMMAND);
        Statement s = c.createStatement()) {
      s.execute("CREATE DATABASE " + name);
    }
    BenchDatabase db =
        new BenchDatabase(server.withDatabase(server.database().withDatabase(name)), server, true);
    db.prepare();
    return db;
  }

  /** Another new database on the same server, migrated, with the users loaded; dropped at close. */
  BenchDatabase sibling() throws SQLException {
    return createOn(maintenance);
  }

  /** The database {@code given} names, migrated; kept at the end. */
  static BenchDatabase use(WorkerConfig given) throws SQLException {
    BenchDatabase db = new BenchDatabase(given, given, false);
    db.prepare();
    return db;
  }

  private void prepare() throws SQLException {
    try (HikariDataSource ds = ConnectionPool.create(config, null, ConnectionPool.Use.COMMAND)) {
      new Migrations(ds).migrate();
    }
    reset();
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(USERS_INSERT)) {
      ps.setInt(1, USERS);
      ps.executeUpdate();
    }
  }

  /** DATABASE_URL and DATABASE_PASSWORD for a worker or enqueue process on this database. */
  Map<String, String> processEnvironment() {
    var database = config.database();
    String url = database.jdbcUrl();
    if (database.user() != null) {
      url +=
          (url.contains("?") ? "&" : "?")
              + "user="
              + URLEncoder.encode(database.user(), StandardCharsets.UTF_8);
    }
    Map<String, String> env = new LinkedHashMap<>();
    env.put("DATABASE_URL", url);
    if (database.password() != null) {
      env.put("DATABASE_PASSWORD", database.password());
    }
    return env;
  }

  /** PGHOST, PGPORT, PGDATABASE, PGUSER and PGPASSWORD for psql on this database. */
  Map<String, String> libpqEnvironment() {
    var database = config.database();
    String hostAndPort = database.hostAndPort().split(",")[0];
    int colon = hostAndPort.lastIndexOf(':');
    Map<String, String> env = new LinkedHashMap<>();
    env.put("PGHOST", colon < 0 ? hostAndPort : hostAndPort.substring(0, colon));
    env.put("PGPORT", colon < 0 ? "5432" : hostAndPort.substring(colon + 1));
    env.put("PGDATABASE", database.databaseName());
    if (database.user() != null) {
      env.put("PGUSER", database.user());
    }
    if (database.password() != null) {
      env.put("PGPASSWORD", database.password());
    }
    return env;
  }

  String name() {
    return config.database().databaseName();
  }

  /** Empties the tables the worker writes, and vacuums, so each case starts from the same state. */
  void reset() throws SQLException {
    execute("TRUNCATE events, data_entries, metrics RESTART IDENTITY");
    execute("VACUUM ANALYZE events");
  }

  /**
   * Inserts {@code count} events with {@code status} in one transaction, as one producer's
   * statement; processed ones are dated 30 days back, as a history a retention would prune.
   */
  void insert(long count, String status) throws SQLException {
    insert(count, status, DataEntryHandler.TYPE, MetricHandler.TYPE);
  }

  /**
   * As {@link #insert(long, String)}, pending, under the types the SQL floor claims: the workers of
   * the same database leave them alone.
   */
  void insertForFloor(long count) throws SQLException {
    insert(count, "pending", SqlFloor.DATA_ENTRY, SqlFloor.METRIC);
  }

  private void insert(long count, String status, String dataEntryType, String metricType)
      throws SQLException {
    try (Connection c = connect();
        PreparedStatement ps = c.prepareStatement(EVENTS)) {
      insertEvents(ps, status, nextEvent, nextEvent + count - 1, dataEntryType, metricType);
    }
    nextEvent += count;
  }

  /** Runs {@link #EVENTS} for events {@code from} to {@code to}. */
  private static void insertEvents(
      PreparedStatement events,
      String status,
      long from,
      long to,
      String dataEntryType,
      String metricType)
      throws SQLException {
    events.setString(1, dataEntryType);
    events.setString(2, metricType);
    events.setInt(3, USERS);
    events.setString(4, status);
    events.setLong(5, from);
    events.setLong(6, to);
    events.executeUpdate();
  }

  /**
   * Inserts {@code valid} events interleaved with {@code hostile} ones, in one transaction: the
   * traffic a producer with a few broken clients sends.
   */
  void insertWithHostile(long valid, List<HostileCorpus.HostileEvent> hostile) throws SQLException {
    int chunks = 20;
    try (Connection c = connect();
        PreparedStatement generated = c.prepareStatement(EVENTS);
        PreparedStatement raw = c.prepareStatement(HOSTILE)) {
      c.setAutoCommit(false);
      for (int chunk = 0; chunk < chunks; chunk++) {
        insertEvents(
            generated,
            "pending",
            nextEvent + chunk * valid / chunks,
            nextEvent + (chunk + 1) * valid / chunks - 1,
            DataEntryHandler.TYPE,
            MetricHandler.TYPE);
        for (HostileCorpus.HostileEvent e :
            hostile.subList(
                chunk * hostile.size() / chunks, (chunk + 1) * hostile.size() / chunks)) {
          raw.setString(1, e.eventType());
          raw.setString(2, e.data());
          raw.addBatch();
        }
        raw.executeBatch();
      }
      c.commit();
    }
    nextEvent += valid;
  }

  /** Dead row versions in events, as the statistics last reported (they lag by about a second). */
  long deadTuples() throws SQLException {
    try (Connection c = connect()) {
      return new QueueReports().tableHealth(c).deadTuples();
    }
  }

  /** Server version and the settings that decide throughput. */
  Map<String, String> serverFacts() throws SQLException {
    Map<String, String> facts = new LinkedHashMap<>();
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT split_part(version(), ' on ', 1)")) {
        rs.next();
        facts.put("server", rs.getString(1));
      }
      try (PreparedStatement ps = c.prepareStatement(SETTING)) {
        for (String setting :
            new String[] {
              "synchronous_commit", "shared_buffers", "max_wal_size", "work_mem", "fsync"
            }) {
          ps.setString(1, setting);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            facts.put(setting, rs.getString(1));
          }
        }
      }
    }
    return facts;
  }

  Connection connect() throws SQLException {
    return ConnectionPool.openDedicated(config, ConnectionPool.Use.COMMAND);
  }

  /**
   * Vacuums events and forces a checkpoint, so that neither lands inside the next timed round by
   * chance. CHECKPOINT needs a superuser or pg_checkpoint; without, the vacuum alone.
   */
  void settle() throws SQLException {
    execute("VACUUM events");
    try {
      execute("CHECKPOINT");
    } catch (SQLException e) {
      if (!"42501".equals(e.getSQLState())) {
        throw e;
      }
    }
  }

  void execute(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  long queryLong(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The columns of the one row {@code sql} returns, as numbers. */
  long[] queryLongs(String sql) throws SQLException {
    try (Connection c = connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      long[] values = new long[rs.getMetaData().getColumnCount()];
      for (int i = 0; i < values.length; i++) {
        values[i] = rs.getLong(i + 1);
      }
      return values;
    }
  }

  @Override
  public void close() throws SQLException {
    if (dropAtEnd) {
      try (Connection c = ConnectionPool.openDedicated(maintenance, ConnectionPool.Use.COMMAND);
          Statement s = c.createStatement()) {
        s.execute("DROP DATABASE IF EXISTS " + name() + " WITH (FORCE)");
      }
    }
  }
}
