package io.eventworker.deploy;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.ConnectionPool;
import io.eventworker.db.Transactions;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.testing.Cli;
import io.eventworker.testing.Fixtures;
import io.eventworker.testing.PgBouncer;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import io.eventworker.testing.WorkerProcess;
import io.eventworker.worker.Handlers;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The worker through Debian's PgBouncer, started from deploy/pgbouncer/pgbouncer.ini, in session
 * and in transaction pooling: the core's exactly-once check, no session state left for other
 * clients, and {@code run} ready (it once waited forever, refused for its startup options).
 */
@Tag("deploy")
class PgBouncerIT {

  private static final int EVENTS = 3_000;
  private static final int INVALID_EVERY = 100;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @TempDir Path tmp;

  @ParameterizedTest(name = "pool_mode={0}")
  @ValueSource(strings = {"session", "transaction"})
  void everyEventIsProcessedOnceOrFailedThroughEachPoolMode(String mode) throws Exception {
    // Transaction pooling shares 3 server connections among the workers' 8 client connections;
    // session pooling needs one per client connection, listeners included.
    int serverConnections = mode.equals("transaction") ? 3 : 12;
    try (PgBouncer bouncer = PgBouncer.start(db.name(), mode, serverConnections)) {
      Map<String, String> env = Map.of("DATABASE_URL", bouncer.url(), "DB_POOLER", mode);
      // The queue is loaded through PgBouncer too, with one COPY (enqueue --file).
      Path file = tmp.resolve("events.ndjson");
      Fixtures.writeMixed(file, EVENTS, INVALID_EVERY);
      Cli.Result load = Cli.run(env, "enqueue", "--file", file.toString());
      assertEquals(0, load.status(), load.toString());

      AtomicLong processed = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      WorkerMetrics counting = counting(processed, failed);
      List<RunningWorker> workers = new ArrayList<>();
      try {
        for (int i = 0; i < 2; i++) {
          workers.add(
              RunningWorker.start(
                  config(
                      bouncer,
                      mode,
                      "WORKER_THREADS",
                      "3",
                      "DB_POOL_SIZE",
                      "4",
                      "BATCH_SIZE",
                      "50",
                      "POLL_INTERVAL",
                      "100ms"),
                  Handlers.discover(),
                  counting));
        }
        await()
            .atMost(Duration.ofSeconds(120))
            .pollInterval(Duration.ofMillis(100))
            .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
        assertTrue(
            serverBackends() <= serverConnections,
            "at most " + serverConnections + " server connections, found " + serverBackends());
      } finally {
        workers.forEach(RunningWorker::close);
      }
      Fixtures.assertExactlyOnce(db, EVENTS, INVALID_EVERY);
      Fixtures.Expected expected = Fixtures.expected(EVENTS, INVALID_EVERY);
      assertEquals(
          0,
          db.queryLong("SELECT count(*) FROM events WHERE attempts <> 1"),
          "every event handled in exactly one attempt");
      assertEquals(expected.entries() + expected.metrics(), processed.get(), "processed");
      assertEquals(expected.invalid(), failed.get(), "failed");
    }
  }

  @Test
  void transactionPoolingLeavesNoSessionStateForTheNextClient() throws Exception {
    // One server connection: whatever a client leaves on it, the next client gets.
    try (PgBouncer bouncer = PgBouncer.start(db.name(), "transaction", 1)) {
      ServerSettings defaults;
      try (Connection other = bouncer.connect()) {
        defaults = ServerSettings.of(other);
      }
      // The check can fail: a setting made for the session does reach the next client.
      try (Connection careless = bouncer.connect();
          Statement s = careless.createStatement()) {
        s.execute("SET statement_timeout = '9s'");
      }
      try (Connection other = bouncer.connect();
          Statement s = other.createStatement()) {
        assertEquals("9s", ServerSettings.of(other).statementTimeout(), "a session SET leaks");
        s.execute("RESET statement_timeout");
      }

      WorkerConfig config =
          config(bouncer, "transaction", "DB_STATEMENT_TIMEOUT", "7s", "DB_TIMEZONE", "Asia/Tokyo");
      ServerSettings inWorker;
      ServerSettings inNextTransaction;
      try (HikariDataSource pool = ConnectionPool.create(config, null, ConnectionPool.Use.DAEMON);
          Connection c = pool.getConnection()) {
        inWorker = Transactions.commit(c, ServerSettings::of);
        inNextTransaction = Transactions.commit(c, PgBouncerIT::sameStatementSixTimes);
      }
      assertEquals(
          new ServerSettings("7s", "3500ms", "30s", "Asia/Tokyo", inWorker.backend()), inWorker);
      assertEquals(inWorker, inNextTransaction, "the settings hold for every transaction");

      try (Connection other = bouncer.connect()) {
        ServerSettings after = ServerSettings.of(other);
        assertEquals(inWorker.backend(), after.backend(), "the same server connection");
        assertEquals(defaults, after, "the next client's settings");
        try (Statement s = other.createStatement();
            ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_prepared_statements")) {
          rs.next();
          assertEquals(0, rs.getLong(1), "named prepared statements left on the server");
        }
      }
    }
  }

  @ParameterizedTest(name = "pool_mode={0}")
  @ValueSource(strings = {"session", "transaction"})
  void runThroughPgBouncerBecomesReadyAndProcessesEvents(String mode) throws Exception {
    try (PgBouncer bouncer = PgBouncer.start(db.name(), mode, 8)) {
      Map<String, String> env = Map.of("DATABASE_URL", bouncer.url(), "DB_POOLER", mode);
      Fixtures.insertMixed(db, 10, 0);
      try (WorkerProcess worker = WorkerProcess.run("worker-via-pgbouncer-" + mode, env)) {
        worker.awaitReady(Duration.ofSeconds(60));
        await()
            .atMost(Duration.ofSeconds(30))
            .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
        Fixtures.assertExactlyOnce(db, 10, 0);
        assertEquals(
            mode.equals("transaction"),
            worker.output().contains("threads polling only"),
            worker.output());
        worker.terminate();
        assertEquals(0, worker.awaitExit(Duration.ofSeconds(30)), worker.output());
      }
      Cli.Result migrate = Cli.run(env, "migrate");
      if (mode.equals("session")) {
        assertEquals(0, migrate.status(), migrate.toString());
        assertTrue(migrate.out().contains("schema is up to date"), migrate.toString());
      } else {
        assertEquals(2, migrate.status(), migrate.toString());
        assertTrue(
            migrate.err().contains("DB_POOLER=transaction: migrate needs a session of its own"),
            migrate.toString());
      }
    }
  }

  /** The settings a client's session or transaction runs with, and its server process. */
  private record ServerSettings(
      String statementTimeout,
      String lockTimeout,
      String idleTimeout,
      String timeZone,
      int backend) {

    static ServerSettings of(Connection c) throws SQLException {
      try (Statement s = c.createStatement();
          ResultSet rs =
              s.executeQuery(
                  "SELECT current_setting('statement_timeout'), current_setting('lock_timeout'),"
                      + " current_setting('idle_in_transaction_session_timeout'),"
                      + " current_setting('TimeZone'), pg_backend_pid()")) {
        rs.next();
        return new ServerSettings(
            rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getInt(5));
      }
    }
  }

  /** Past pgjdbc's default prepareThreshold (5), which would name a server-side statement. */
  private static ServerSettings sameStatementSixTimes(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM events WHERE id > ?")) {
      for (int i = 0; i < 6; i++) {
        ps.setLong(1, i);
        ps.executeQuery().close();
      }
    }
    return ServerSettings.of(c);
  }

  private WorkerConfig config(PgBouncer bouncer, String mode, String... keyValues) {
    Map<String, String> env = new java.util.HashMap<>(db.env(keyValues));
    env.put("DATABASE_URL", bouncer.url());
    env.put("DB_POOLER", mode);
    return WorkerConfig.fromEnvironment(env);
  }

  private long serverBackends() throws SQLException {
    return db.queryLong(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            + " AND pid <> pg_backend_pid()");
  }

  private static WorkerMetrics counting(AtomicLong processed, AtomicLong failed) {
    return new WorkerMetrics() {
      @Override
      public void processed(String type, Duration latency) {
        processed.incrementAndGet();
      }

      @Override
      public void failed(String type, long count) {
        failed.addAndGet(count);
      }
    };
  }
}
