package io.eventworker.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Jar;
import io.eventworker.testing.PostgresCluster;
import io.eventworker.testing.TcpProxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * The chaos suite: the real worker jar, as separate processes, against a PostgreSQL 15 cluster of
 * the suite's own (so that it may be stopped, restarted and cut off), under six kinds of failure.
 * Each scenario ends with the exactly-once invariant checked event by event ({@link Invariant}),
 * adds a row to the report, and fails if any event was lost or duplicated. After the last one the
 * report is printed and, when all six ran, written to target/chaos/RELIABILITY.md; with {@code
 * -Dchaos.updateDoc=true} it replaces docs/RELIABILITY.md too, so that a plain run leaves the
 * tracked files as they were.
 *
 * <p>"Eventually" conditions get generous timeouts (a noisy 2-core machine); the invariants are
 * strict.
 */
@Tag("chaos")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ChaosIT {

  private static final String TEMPLATE = "chaos_template";
  private static final Duration READY = Duration.ofSeconds(90);
  private static final Duration EVENTUALLY = Duration.ofSeconds(120);
  private static final Path REPORT = Path.of("target", "chaos", "RELIABILITY.md");
  private static final Path DOC = Path.of("docs", "RELIABILITY.md");

  private PostgresCluster cluster;
  private ChaosReport report;
  private final long seed = Long.getLong("chaos.seed", System.currentTimeMillis());
  private final Random random = new Random(seed);

  @BeforeAll
  void startCluster() throws Exception {
    cluster = PostgresCluster.start(null);
    // Room for three workers and their replacements, plus the sessions a blackholed proxy leaves
    // behind until the server notices them.
    cluster.execute("postgres", "ALTER SYSTEM SET max_connections = 300");
    cluster.restartServer("fast");
    cluster.execute("postgres", "CREATE DATABASE " + TEMPLATE);
    // The real jar's migrate, once; each scenario gets a copy of the result.
    Jar.run(ChaosDatabase.envWithUrl(cluster.url(TEMPLATE)), "migrate");
    String version = cluster.version();
    report = new ChaosReport(version);
    System.out.printf(
        "[chaos] PostgreSQL cluster on 127.0.0.1:%d, %s; random seed %d (-Dchaos.seed=%d repeats"
            + " it)%n",
        cluster.port(), version, seed, seed);
  }

  @AfterAll
  void finish() throws Exception {
    try {
      if (report != null) {
        report.print();
        if (report.complete()) {
          report.write(REPORT);
          System.out.println("[chaos] wrote " + REPORT);
          if (Boolean.getBoolean("chaos.updateDoc")) {
            // FailoverIT's rows (7) are kept as they were: only a run of that class replaces them.
            String kept = Files.exists(DOC) ? Files.readString(DOC) : "";
            Files.writeString(
                DOC,
                ChaosReport.replaceRows(
                    Files.readString(REPORT),
                    FailoverIT.ROW_PREFIX,
                    ChaosReport.rows(kept, FailoverIT.ROW_PREFIX)));
            System.out.println("[chaos] copied it to " + DOC + " (-Dchaos.updateDoc=true)");
          }
        } else {
          System.out.println(
              "[chaos] not every scenario ran: no report written, " + DOC + " left as it was");
        }
      }
    } finally {
      if (cluster != null) {
        cluster.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 0. the checker itself

  /**
   * The invariant check is not vacuous: after a clean run it holds, and each kind of damage done by
   * hand afterwards is counted where it belongs. Not a scenario: no row in the report.
   */
  @Test
  @Order(0)
  @Timeout(value = 2, unit = TimeUnit.MINUTES)
  void invariantCheckCatchesEachKindOfViolation() throws Exception {
    int total = 2_000;
    ChaosDatabase db = database("chaos_selfcheck");
    try {
      Traffic.insertInChunks(db, 1, total, total);
      try (Workers workers = Workers.start("selfcheck", db.env(), 1)) {
        awaitDrained(db, workers);
        assertCleanExit(workers);
      }
      Invariant.Outcome clean = Invariant.check(db, total);
      Invariant.assertHolds(db, clean);
      assertEquals("", Invariant.nothingHalfDone(db));

      db.execute(
          // lost: a processed entry without its row, an event back to pending (its row still
          // there), an invalid event failed without its reason
          "DELETE FROM data_entries WHERE key = 'k-1'",
          "UPDATE events SET status = 'pending' WHERE data->>'seq' = '4'",
          "UPDATE events SET last_error = NULL WHERE data->>'seq' = '97'",
          // duplicated: a metric written twice
          "INSERT INTO metrics (metric_name, metric_value) VALUES ('m-2', 1)",
          // stray: a row for an invalid event, a row for no event
          "INSERT INTO metrics (metric_name, metric_value) VALUES ('m-194', 1)",
          "INSERT INTO data_entries (key) VALUES ('k-999999')",
          // an attempt charged twice
          "UPDATE events SET attempts = 2 WHERE data->>'seq' = '6'");
      Invariant.Outcome o = Invariant.check(db, total);
      assertEquals(3, o.lost(), o.toString());
      assertEquals(1, o.duplicated(), o.toString());
      assertEquals(2, o.stray(), o.toString());
      assertEquals(1, o.extraAttempts(), o.toString());
      String halfDone = Invariant.nothingHalfDone(db);
      for (String kind :
          new String[] {
            "processed_without_one_row=2",
            "unprocessed_with_rows=2",
            "rows_without_event=1",
            "pending_with_attempts=1"
          }) {
        assertTrue(halfDone.contains(kind), kind + " not in: " + halfDone);
      }
      // Fewer events than the producers sent counts as lost too.
      db.execute("DELETE FROM events WHERE data->>'seq' = '8'");
      assertEquals(4, Invariant.check(db, total).lost());
    } finally {
      db.drop();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // 1. kill -9

  /**
   * 200,000 events, three worker processes; twenty times, one of them chosen at random is killed
   * with SIGKILL and restarted, a few seconds apart. The workers drain a backlog within moments, so
   * the events arrive in 20 chunks of 10,000 (one per round) and each kill waits until a random
   * 10-70% of the chunk is done: every kill lands while the workers are busy with it. The workers
   * run with 2 threads and batches of 50 (instead of 4 and 500), which spreads each chunk over many
   * more, shorter transactions, so that a kill cuts some of them open.
   */
  @Test
  @Order(1)
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void killNineOneOfThreeWorkersAtRandom() throws Exception {
    String scenario = "1. kill -9 (3 workers)";
    int chunk = 10_000;
    int kills = 20;
    int total = chunk * kills;
    ChaosDatabase db = database("chaos_kill");
    runScenario(
        scenario,
        db,
        () -> {
          long logFrom = cluster.serverLogSize();
          int killsMidChunk = 0;
          List<String> halfDone = new ArrayList<>();
          try (Workers workers =
                  Workers.start("kill", db.env("WORKER_THREADS", "2", "BATCH_SIZE", "50"), 3);
              Connection c = db.connect()) {
            workers.awaitReady(READY);
            for (int round = 0; round < kills; round++) {
              int from = round * chunk + 1;
              Traffic.insert(c, from, from + chunk - 1);
              long target = (long) (pending(c) * (0.9 - 0.6 * random.nextDouble()));
              long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
              long pendingNow;
              while ((pendingNow = pending(c)) > target && System.nanoTime() < deadline) {
                Thread.sleep(2);
              }
              int victim = random.nextInt(workers.size());
              workers.kill(victim);
              if (pendingNow > 0) {
                killsMidChunk++;
              }
              noteHalfDone(db, halfDone, "after kill " + (round + 1));
              workers.startSlot(victim);
              Thread.sleep(1_000 + random.nextInt(2_000));
            }
            awaitDrained(db, workers);
            assertCleanExit(workers);
          }
          String log = cluster.serverLogSince(logFrom);
          int cutTransactions =
              count(log, "unexpected EOF on client connection with an open transaction");
          System.out.printf(
              "[chaos] kill: %d kills, %d while a chunk was being processed, %d open transactions"
                  + " cut%n",
              kills, killsMidChunk, cutTransactions);
          Invariant.Outcome o = Invariant.check(db, total);
          record(
              scenario,
              o,
              "-",
              String.format(
                  Locale.ROOT,
                  "%d SIGKILLs (%d mid-chunk), %d open transactions cut",
                  kills,
                  killsMidChunk,
                  cutTransactions));
          Invariant.assertHolds(db, o);
          assertTrue(halfDone.isEmpty(), "half-done work seen after a kill: " + halfDone);
          assertTrue(
              killsMidChunk >= kills / 2,
              "only " + killsMidChunk + " of " + kills + " kills landed while work was pending");
          assertTrue(cutTransactions >= 1, "no kill cut an open transaction (server log)");
        });
  }

  // ---------------------------------------------------------------------------------------------
  // 2. PostgreSQL restarts

  /**
   * The server restarted under load three times (fast, immediate, fast shutdown), then stopped
   * (immediate) and left down for 30 s. Before each fault a chunk of 25,000 events is inserted and
   * the fault waits until the workers are busy with it. The workers must stay up, report not-ready
   * (503) while the server is down and ready (200) after, and resume on their own.
   */
  @Test
  @Order(2)
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void postgresRestartsAndA30SecondOutage() throws Exception {
    String scenario = "2. PostgreSQL restarts";
    String[] modes = {"fast", "immediate", "fast", "immediate"};
    int[] downSeconds = {0, 0, 0, 30};
    int chunk = 25_000;
    ChaosDatabase db = database("chaos_restart");
    runScenario(
        scenario,
        db,
        this::ensureServerUp,
        () -> {
          int next = 1;
          int notReadySeen = 0;
          List<String> recoveries = new ArrayList<>();
          List<String> halfDone = new ArrayList<>();
          try (Workers workers =
              Workers.start("restart", db.env("WORKER_THREADS", "2", "BATCH_SIZE", "100"), 2)) {
            workers.awaitReady(READY);
            workers.monitorReadiness();
            for (int i = 0; i < modes.length; i++) {
              try (Connection c = db.connect()) {
                long doneBefore = done(c);
                Traffic.insert(c, next, next + chunk - 1);
                next += chunk;
                awaitProgress(c, doneBefore, 500, workers);
              }
              String fault =
                  downSeconds[i] == 0
                      ? "restart, " + modes[i] + " shutdown"
                      : "stopped (" + modes[i] + ") and down " + downSeconds[i] + " s";
              long downAt = System.nanoTime();
              cluster.stopServer(modes[i]);
              if (downSeconds[i] > 0) {
                long until = System.nanoTime() + Duration.ofSeconds(downSeconds[i]).toNanos();
                while (System.nanoTime() < until) {
                  workers.assertAlive("while the database was down");
                  Thread.sleep(250);
                }
              }
              workers.assertAlive("while the database was down");
              cluster.startServer();
              long upAt = System.nanoTime();
              Recovery r = awaitRecovery(db, workers, upAt, true);
              next += r.probe();
              for (int w = 0; w < workers.size(); w++) {
                if (workers.sawReadiness(w, 503, downAt, upAt)) {
                  notReadySeen++;
                } else if (downSeconds[i] > 0) {
                  throw new AssertionError(
                      "worker "
                          + w
                          + " never answered 503 on /health/ready during the "
                          + downSeconds[i]
                          + " s outage");
                }
              }
              noteHalfDone(db, halfDone, "after " + fault);
              report.measure(scenario, fault, r.resumed(), r.caughtUp(), r.ready());
              recoveries.add(String.format(Locale.ROOT, "%.1f", r.resumed()));
              System.out.printf(
                  "[chaos] restart: %s: processing resumed %.2f s after the server was up, caught"
                      + " up after %.2f s, all ready after %.2f s%n",
                  fault, r.resumed(), r.caughtUp(), r.ready());
            }
            awaitDrained(db, workers);
            assertCleanExit(workers);
          }
          Invariant.Outcome o = Invariant.check(db, next - 1);
          record(
              scenario,
              o,
              String.join(" / ", recoveries) + " s",
              String.format(
                  Locale.ROOT,
                  "3 restarts (fast, immediate, fast) + 30 s down; 503 seen in %d of %d"
                      + " worker-outages, then 200; no worker exited",
                  notReadySeen,
                  modes.length * 2));
          Invariant.assertHolds(db, o);
          assertTrue(halfDone.isEmpty(), "half-done work after a restart: " + halfDone);
        });
  }

  // ---------------------------------------------------------------------------------------------
  // 3. pg_terminate_backend

  /**
   * 100,000 events arriving at 4,000/s in chunks of 2,000 while, every 100-600 ms, a random choice
   * of the workers' sessions (one, three or all of them) is ended with pg_terminate_backend: claim
   * transactions, commits and the LISTEN connection alike.
   */
  @Test
  @Order(3)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void connectionsTerminatedAtRandom() throws Exception {
    String scenario = "3. pg_terminate_backend";
    int total = 100_000;
    ChaosDatabase db = database("chaos_terminate");
    runScenario(
        scenario,
        db,
        () -> {
          long terminated = 0;
          int rounds = 0;
          double retries;
          try (Workers workers =
              Workers.start("terminate", db.env("WORKER_THREADS", "2", "BATCH_SIZE", "100"), 3)) {
            workers.awaitReady(READY);
            try (Traffic.Producer producer = Traffic.Producer.start(db, 1, total, 2_000, 4_000, 1);
                Connection admin = db.connect()) {
              while (!producer.done()) {
                Thread.sleep(100 + random.nextInt(500));
                double pick = random.nextDouble();
                String limit = pick < 0.6 ? "1" : pick < 0.9 ? "3" : "ALL";
                terminated +=
                    ChaosDatabase.queryLong(
                        admin,
                        "SELECT count(*) FILTER (WHERE ok) FROM (SELECT pg_terminate_backend(pid)"
                            + " AS ok FROM pg_stat_activity WHERE datname = current_database() AND"
                            + " application_name = 'event-worker' ORDER BY random() LIMIT "
                            + limit
                            + ") t");
                rounds++;
                workers.assertAlive("while its connections were being terminated");
              }
              producer.await(EVENTUALLY);
            }
            awaitDrained(db, workers);
            for (int w = 0; w < workers.size(); w++) {
              awaitReady200(workers, w, READY);
            }
            retries = workers.metricSum("eventworker_database_retries_total");
            assertCleanExit(workers);
          }
          System.out.printf(
              "[chaos] terminate: %d sessions terminated in %d rounds; %.0f database errors"
                  + " retried%n",
              terminated, rounds, retries);
          Invariant.Outcome o = Invariant.check(db, total);
          record(
              scenario,
              o,
              "-",
              String.format(
                  Locale.ROOT,
                  "%d sessions terminated in %d rounds, %.0f retries (surviving processes)",
                  terminated,
                  rounds,
                  retries));
          Invariant.assertHolds(db, o);
          assertTrue(terminated >= 30, "only " + terminated + " sessions terminated");
          assertTrue(
              retries > 0, "the terminated connections never showed as retried database errors");
        });
  }

  // ---------------------------------------------------------------------------------------------
  // 4. a network path that stops answering

  /** What the workers' connections go through in scenario 4, and how long each fault lasts. */
  private enum PathFault {
    LONG_BLACKHOLE("blackhole 12 s, then only new connections pass", 12),
    SHORT_BLACKHOLE("blackhole 2 s, then only new connections pass", 2),
    STALL("blackhole 3 s, then held bytes delivered", 3),
    RESET("every connection reset (RST)", 0);

    final String description;
    final int seconds;

    PathFault(String description, int seconds) {
      this.description = description;
      this.seconds = seconds;
    }
  }

  /**
   * Two workers reach the database only through {@link TcpProxy}; producers insert 500 events/s
   * straight to the server meanwhile. Four faults of the path, each followed by a measurement of
   * how long the workers take to process events again: a 12 s blackhole after which only new
   * connections work (the old ones stay silent for good), the same for 2 s (threads caught in a
   * statement on a dead socket must give up by themselves), a 3 s stall after which the held bytes
   * are delivered, and a reset of every connection.
   */
  @Test
  @Order(4)
  @Timeout(value = 5, unit = TimeUnit.MINUTES)
  void blackholedNetworkPath() throws Exception {
    String scenario = "4. network blackhole";
    int backlog = 10_000;
    ChaosDatabase db = database("chaos_blackhole");
    runScenario(
        scenario,
        db,
        () -> {
          List<String> recoveries = new ArrayList<>();
          List<String> halfDone = new ArrayList<>();
          long last;
          double errors;
          try (TcpProxy proxy = TcpProxy.start("127.0.0.1", cluster.port())) {
            Map<String, String> env =
                ChaosDatabase.envWithUrl(
                    db.urlThroughPort(proxy.port()),
                    "DB_SOCKET_TIMEOUT",
                    "5s",
                    "DB_STATEMENT_TIMEOUT",
                    "3s",
                    "DB_CONNECT_TIMEOUT",
                    "2s",
                    "WORKER_THREADS",
                    "2",
                    "BATCH_SIZE",
                    "100");
            try (Workers workers = Workers.start("blackhole", env, 2)) {
              workers.awaitReady(READY);
              workers.monitorReadiness();
              Traffic.insertInChunks(db, 1, backlog, 5_000);
              try (Traffic.Producer producer =
                  Traffic.Producer.start(db, backlog + 1, backlog + 500 * 240, 10, 500, 1)) {
                for (PathFault fault : PathFault.values()) {
                  Thread.sleep(3_000);
                  workers.assertAlive("before " + fault.description);
                  long faultAt = System.nanoTime();
                  switch (fault) {
                    case RESET -> proxy.resetAll();
                    default -> proxy.blackhole();
                  }
                  long until = faultAt + Duration.ofSeconds(fault.seconds).toNanos();
                  while (System.nanoTime() < until) {
                    workers.assertAlive("during " + fault.description);
                    Thread.sleep(100);
                  }
                  int silenced = 0;
                  switch (fault) {
                    case LONG_BLACKHOLE, SHORT_BLACKHOLE -> silenced = proxy.forwardNewOnly();
                    case STALL -> proxy.forward();
                    case RESET -> {}
                  }
                  long restoredAt = System.nanoTime();
                  // The producer runs through every fault: its next events show processing resumed,
                  // even if the workers drained the queue before this looks (0.1 s after a stall).
                  Recovery r = awaitRecovery(db, workers, restoredAt, false);
                  if (fault == PathFault.LONG_BLACKHOLE) {
                    for (int w = 0; w < workers.size(); w++) {
                      assertTrue(
                          workers.sawReadiness(w, 503, faultAt, restoredAt),
                          "worker "
                              + w
                              + " never answered 503 on /health/ready during the 12 s blackhole");
                    }
                  }
                  report.measure(scenario, fault.description, r.resumed(), r.caughtUp(), r.ready());
                  recoveries.add(String.format(Locale.ROOT, "%.1f", r.resumed()));
                  System.out.printf(
                      "[chaos] blackhole: %s (%d connections silenced): processing resumed %.2f s"
                          + " after the path was back, caught up after %.2f s, all ready after %.2f"
                          + " s%n",
                      fault.description, silenced, r.resumed(), r.caughtUp(), r.ready());
                  noteHalfDone(db, halfDone, "after " + fault.description);
                }
                producer.close();
                producer.check();
                last = backlog + producer.inserted();
              }
              awaitDrained(db, workers);
              errors =
                  workers.metricSum("eventworker_database_retries_total")
                      + workers.metricSum("eventworker_loop_errors_total");
              assertCleanExit(workers);
            }
          }
          Invariant.Outcome o = Invariant.check(db, last);
          record(
              scenario,
              o,
              String.join(" / ", recoveries) + " s",
              String.format(
                  Locale.ROOT,
                  "socket 5 s, statement 3 s, connect 2 s; %.0f database errors seen",
                  errors));
          Invariant.assertHolds(db, o);
          assertTrue(halfDone.isEmpty(), "half-done work after a network fault: " + halfDone);
          assertTrue(errors > 0, "the workers never noticed the dead path");
        });
  }

  // ---------------------------------------------------------------------------------------------
  // 5. producers at 1,000 events/s

  /**
   * Four producers insert 1,000 events/s for 30 s, five events per INSERT (200 statements, so 200
   * NOTIFYs, a second), while two workers with the default settings consume them. The queue must
   * stay short and be empty within seconds of the last insert.
   */
  @Test
  @Order(5)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void producersAt1000EventsPerSecond() throws Exception {
    String scenario = "5. producers 1,000/s";
    int total = 30_000;
    ChaosDatabase db = database("chaos_produce");
    runScenario(
        scenario,
        db,
        () -> {
          long maxPending = 0;
          double rate;
          double caughtUp;
          double[] latency;
          try (Workers workers = Workers.start("produce", db.env(), 2)) {
            workers.awaitReady(READY);
            try (Traffic.Producer producer = Traffic.Producer.start(db, 1, total, 5, 1_000, 4);
                Connection c = db.connect()) {
              while (!producer.done()) {
                maxPending = Math.max(maxPending, pending(c));
                workers.assertAlive("under steady production");
                Thread.sleep(250);
              }
              producer.await(EVENTUALLY);
              rate = producer.rate();
              long lastInsert = System.nanoTime();
              awaitDrained(db, workers);
              caughtUp = (System.nanoTime() - lastInsert) / 1e9;
              latency = latency(c);
            }
            assertCleanExit(workers);
          }
          System.out.printf(
              "[chaos] produce: %.0f events/s inserted in 6,000 statements; at most %d pending;"
                  + " empty %.2f s after the last insert; latency p50 %.3f s, p99 %.3f s, max %.3f"
                  + " s%n",
              rate, maxPending, caughtUp, latency[0], latency[1], latency[2]);
          Invariant.Outcome o = Invariant.check(db, total);
          record(
              scenario,
              o,
              "-",
              String.format(
                  Locale.ROOT,
                  "%.0f events/s for 30 s, 5 per INSERT; at most %d pending; latency p50 %.0f ms,"
                      + " p99 %.0f ms",
                  rate,
                  maxPending,
                  latency[0] * 1000,
                  latency[1] * 1000));
          Invariant.assertHolds(db, o);
          assertTrue(rate >= 900, "producers reached only " + rate + " events/s");
          assertTrue(maxPending < 10_000, "the workers fell behind: " + maxPending + " pending");
        });
  }

  // ---------------------------------------------------------------------------------------------
  // 6. SIGTERM under full load

  /**
   * A backlog of 200,000 events; three times, two workers are started and, once they have done
   * 15,000 more, both get SIGTERM: each must exit 0 within 10 s, having finished or rolled back its
   * batches (nothing half-done, the rest still pending and untouched). A last worker then finishes
   * the queue.
   */
  @Test
  @Order(6)
  @Timeout(value = 4, unit = TimeUnit.MINUTES)
  void sigtermUnderFullLoad() throws Exception {
    String scenario = "6. SIGTERM under load";
    int total = 200_000;
    ChaosDatabase db = database("chaos_sigterm");
    runScenario(
        scenario,
        db,
        () -> {
          List<String> halfDone = new ArrayList<>();
          double slowestExit = 0;
          int stops = 0;
          Traffic.insertInChunks(db, 1, total, 50_000);
          for (int round = 0; round < 3; round++) {
            long pendingAtStop;
            try (Workers workers = Workers.start("sigterm-" + round, db.env(), 2);
                Connection c = db.connect()) {
              long doneBefore = done(c);
              awaitProgress(c, doneBefore, 15_000, workers);
              for (Workers.Exit exit : workers.terminateAll(Duration.ofSeconds(10))) {
                assertEquals(
                    0, exit.status(), "exit status after SIGTERM:\n" + Workers.tail(exit.output()));
                assertTrue(
                    exit.output().contains("all batches finished"),
                    "batches left unfinished:\n" + Workers.tail(exit.output()));
                slowestExit = Math.max(slowestExit, exit.seconds());
                stops++;
              }
              pendingAtStop = pending(c);
            }
            noteHalfDone(db, halfDone, "after SIGTERM " + (round + 1));
            System.out.printf(
                "[chaos] sigterm: round %d: both workers exited 0, %d events still pending%n",
                round + 1, pendingAtStop);
            assertTrue(pendingAtStop > 0, "the queue was empty before SIGTERM: not under load");
          }
          try (Workers workers = Workers.start("sigterm-final", db.env(), 1)) {
            awaitDrained(db, workers);
            assertCleanExit(workers);
          }
          Invariant.Outcome o = Invariant.check(db, total);
          record(
              scenario,
              o,
              String.format(Locale.ROOT, "exit ≤ %.1f s", slowestExit),
              String.format(
                  Locale.ROOT,
                  "%d SIGTERMs mid-backlog, each exit 0 (slowest %.2f s), then a restart finished"
                      + " the rest",
                  stops,
                  slowestExit));
          Invariant.assertHolds(db, o);
          assertTrue(halfDone.isEmpty(), "half-done work after SIGTERM: " + halfDone);
        });
  }

  // ---------------------------------------------------------------------------------------------
  // helpers

  private ChaosDatabase database(String name) throws Exception {
    ensureServerUp();
    return ChaosDatabase.create(cluster, name, TEMPLATE);
  }

  private void ensureServerUp() {
    if (!cluster.isAccepting()) {
      cluster.startServer();
    }
  }

  /** A scenario's run, as a lambda that may throw whatever a test method may. */
  @FunctionalInterface
  private interface ScenarioBody {
    void run() throws Exception;
  }

  /**
   * Runs a scenario: a failure still gets a report row, and its database is dropped whatever
   * happened.
   */
  private void runScenario(String scenario, ChaosDatabase db, ScenarioBody body) throws Exception {
    runScenario(scenario, db, () -> {}, body);
  }

  /**
   * As above, with {@code beforeDrop} run first in the clean-up (after a failure's row is added).
   */
  private void runScenario(
      String scenario, ChaosDatabase db, Runnable beforeDrop, ScenarioBody body) throws Exception {
    try {
      body.run();
    } catch (Throwable e) {
      failed(scenario, e);
      throw e;
    } finally {
      beforeDrop.run();
      db.drop();
    }
  }

  private void record(String scenario, Invariant.Outcome o, String recovery, String notes) {
    String verdict = o.holds() ? "pass" : "FAIL";
    report.add(
        new ChaosReport.Row(
            scenario,
            o.events(),
            o.processed(),
            o.failed(),
            o.lost(),
            o.duplicated(),
            o.stray(),
            recovery,
            notes,
            verdict));
  }

  /** A scenario that failed before its invariant was checked still gets a row. */
  private void failed(String scenario, Throwable e) {
    String why =
        String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString()).replace('|', '/');
    if (why.length() > 200) {
      why = why.substring(0, 200) + "...";
    }
    System.out.println("[chaos] " + scenario + " FAILED: " + why);
    if (report.has(scenario)) {
      report.markFailed(scenario, why);
    } else {
      report.add(
          new ChaosReport.Row(
              scenario, 0, 0, 0, -1, -1, -1, "-", "did not finish: " + why, "FAIL"));
    }
  }

  /**
   * Adds to {@code halfDone}, under {@code label}, what {@link Invariant#nothingHalfDone} finds
   * now.
   */
  private static void noteHalfDone(ChaosDatabase db, List<String> halfDone, String label)
      throws SQLException {
    String violations = Invariant.nothingHalfDone(db);
    if (!violations.isEmpty()) {
      halfDone.add(label + ": " + violations);
    }
  }

  private static long pending(Connection c) throws Exception {
    return ChaosDatabase.queryLong(c, "SELECT count(*) FROM events WHERE status = 'pending'");
  }

  private static long done(Connection c) throws Exception {
    return ChaosDatabase.queryLong(c, "SELECT count(*) FROM events WHERE status <> 'pending'");
  }

  /** Waits until at least {@code n} more events than {@code doneBefore} are done. */
  private static void awaitProgress(Connection c, long doneBefore, long n, Workers workers)
      throws Exception {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (done(c) < doneBefore + n) {
      workers.assertAlive("while waiting for progress");
      assertTrue(
          System.nanoTime() < deadline, "fewer than " + n + " events processed in " + EVENTUALLY);
      Thread.sleep(5);
    }
  }

  /** Waits until no event is pending, the workers staying alive. */
  private static void awaitDrained(ChaosDatabase db, Workers workers) throws Exception {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    try (Connection c = db.connect()) {
      long left;
      while ((left = pending(c)) > 0) {
        workers.assertAlive("before the queue was drained");
        if (System.nanoTime() > deadline) {
          throw new AssertionError(
              left
                  + " events still pending after "
                  + EVENTUALLY
                  + "; worker 0:\n"
                  + Workers.tail(workers.get(0).output()));
        }
        Thread.sleep(100);
      }
    }
  }

  /** SIGTERM to every worker, once each is ready: each exits 0 within 10 s. */
  private static void assertCleanExit(Workers workers) throws InterruptedException {
    // A worker restarted after a kill may still be starting its JVM, where SIGTERM ends it with
    // 143 before its shutdown hook exists: the drain on SIGTERM is a running worker's.
    workers.awaitReady(READY);
    for (Workers.Exit exit : workers.terminateAll(Duration.ofSeconds(10))) {
      assertEquals(
          0,
          exit.status(),
          "worker " + exit.slot() + " after SIGTERM:\n" + Workers.tail(exit.output()));
    }
  }

  private static void awaitReady200(Workers workers, int w, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (workers.get(w).get("/health/ready").status() != 200) {
      assertTrue(
          System.nanoTime() < deadline, "worker " + w + " not ready again within " + timeout);
      Thread.sleep(100);
    }
  }

  /**
   * How a recovery went, in seconds from the fault's end: until an event was processed again
   * ({@code resumed}), until every event pending at that moment was done ({@code caughtUp}: rows
   * locked by a session the worker lost stay locked until the server ends it), and until every
   * worker answered 200 on /health/ready ({@code ready}); {@code probe}: events inserted to show it
   * when the queue happened to be empty.
   */
  private record Recovery(double resumed, double caughtUp, double ready, int probe) {}

  /**
   * Measures a recovery from {@code since} (the fault's end), with the readiness monitor running.
   * Processing has resumed when the count of finished events grows. If nothing was pending and
   * {@code probeIfIdle} (no producer is running, whose seq numbers a probe could take), 1,000
   * events are added (seq numbers after the highest present) so that there is something to resume.
   */
  private Recovery awaitRecovery(ChaosDatabase db, Workers workers, long since, boolean probeIfIdle)
      throws Exception {
    long deadline = since + EVENTUALLY.toNanos();
    Connection c = null;
    while (c == null) {
      try {
        c = db.connect();
      } catch (SQLException e) {
        assertTrue(System.nanoTime() < deadline, "cannot connect to the database: " + e);
        Thread.sleep(20);
      }
    }
    try (Connection conn = c) {
      long doneAtStart = done(conn);
      int probe = 0;
      if (probeIfIdle && pending(conn) == 0) {
        long max =
            ChaosDatabase.queryLong(
                conn, "SELECT coalesce(max((data->>'seq')::int), 0) FROM events");
        probe = 1_000;
        Traffic.insert(conn, (int) max + 1, (int) max + probe);
      }
      long lastId = ChaosDatabase.queryLong(conn, "SELECT coalesce(max(id), 0) FROM events");
      double resumed = -1;
      double caughtUp = -1;
      double ready = -1;
      while (resumed < 0 || caughtUp < 0 || ready < 0) {
        workers.assertAlive("while recovering");
        assertTrue(
            System.nanoTime() < deadline,
            "no recovery within "
                + EVENTUALLY
                + " (resumed "
                + resumed
                + ", caught up "
                + caughtUp
                + ", ready "
                + ready
                + "); worker 0:\n"
                + Workers.tail(workers.get(0).output()));
        if (resumed < 0 && done(conn) > doneAtStart) {
          resumed = (System.nanoTime() - since) / 1e9;
        }
        if (caughtUp < 0
            && ChaosDatabase.queryLong(
                    conn,
                    "SELECT count(*) FROM events WHERE status = 'pending' AND id <= " + lastId)
                == 0) {
          caughtUp = (System.nanoTime() - since) / 1e9;
        }
        if (ready < 0) {
          ready = workers.readySeconds(since);
        }
        Thread.sleep(20);
      }
      return new Recovery(resumed, caughtUp, ready, probe);
    }
  }

  /** p50, p99 and max of processed_at - created_at, in seconds. */
  private static double[] latency(Connection c) throws Exception {
    try (Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.99)"
                    + " WITHIN GROUP (ORDER BY d), max(d) FROM (SELECT extract(epoch FROM"
                    + " processed_at - created_at)::float8 AS d FROM events WHERE status ="
                    + " 'processed') t")) {
      rs.next();
      return new double[] {rs.getDouble(1), rs.getDouble(2), rs.getDouble(3)};
    }
  }

  private static int count(String text, String what) {
    Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
    int n = 0;
    while (m.find()) {
      n++;
    }
    return n;
  }
}
