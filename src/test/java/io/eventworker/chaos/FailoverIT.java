package io.eventworker.chaos;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.Jar;
import io.eventworker.testing.PostgresCluster;
import io.eventworker.testing.TcpProxy;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.BitSet;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.Timeout;

/**
 * Failover to a streaming standby: a primary and a standby made with {@code pg_basebackup -R}, two
 * worker processes and producers reaching them through one multi-host DATABASE_URL ({@code
 * targetServerType=primary}). Under load the primary is stopped in immediate mode and the standby
 * promoted; nobody touches the workers. With synchronous replication every acknowledged event must
 * be on the new primary and processed exactly once; with asynchronous replication the test counts
 * what the failover lost and what was processed twice (once in each history) and asserts what must
 * still hold within the new primary's history. The rows go to target/chaos/FAILOVER.md.
 */
@Tag("chaos")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FailoverIT {

  private static final String DB = "failover";
  private static final int EVENTS = 40_000;
  private static final int BURST = 5_000;
  private static final Duration EVENTUALLY = Duration.ofSeconds(120);
  private static final Path REPORT = Path.of("target", "chaos", "FAILOVER.md");
  private static final Path DOC = Path.of("docs", "RELIABILITY.md");

  /** How this class's rows in the chaos table begin. */
  static final String ROW_PREFIX = "| 7. ";

  private ChaosReport report;

  @AfterAll
  void writeReport() throws Exception {
    if (report == null) {
      return;
    }
    String text =
        "# Failover runs\n\n"
            + report.table()
            + "\n"
            + report.recoveryTable()
            + "\nMachine: "
            + report.machine()
            + "\n";
    System.out.println("[failover]\n" + text);
    Files.createDirectories(REPORT.getParent());
    Files.writeString(REPORT, text, StandardCharsets.UTF_8);
    if (Boolean.getBoolean("chaos.updateDoc") && report.rowLines().size() == 3) {
      // Only a run of all three failovers replaces rows 7 of the kept report; rows 1-6 stay.
      Files.writeString(
          DOC,
          ChaosReport.replaceRows(Files.readString(DOC), ROW_PREFIX, report.rowLines()),
          StandardCharsets.UTF_8);
      System.out.println("[failover] replaced rows 7 of " + DOC + " (-Dchaos.updateDoc=true)");
    }
  }

  /** How the standby follows the primary. */
  private enum Replication {
    SYNCHRONOUS("synchronous replication"),
    ASYNCHRONOUS("asynchronous replication"),
    ASYNCHRONOUS_LAGGING("asynchronous replication, standby 1 s behind");

    final String label;

    Replication(String label) {
      this.label = label;
    }
  }

  @Test
  @Order(1)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void synchronousReplicationLosesNothing() throws Exception {
    Run run = failover(Replication.SYNCHRONOUS);
    assertEquals(0, run.lostAcknowledged, run.toString());
    assertEquals(0, run.duplicated, run.toString());
    run.assertNewHistoryConsistent();
  }

  @Test
  @Order(2)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void asynchronousReplicationCountsWhatAFailoverLoses() throws Exception {
    Run run = failover(Replication.ASYNCHRONOUS);
    // What asynchronous replication may lose is counted, not forbidden; what must hold is that
    // the new primary's own history is whole: nothing in it twice, nothing half done.
    assertEquals(0, run.duplicated, run.toString());
    run.assertNewHistoryConsistent();
  }

  /**
   * The replication link stalls for a second before the primary stops, as when the standby's
   * network or disk falls behind: what the old primary committed in that second is not on the new
   * primary. Inserts acknowledged then are lost, and events it processed then are pending again on
   * the new primary and processed a second time there.
   */
  @Test
  @Order(3)
  @Timeout(value = 6, unit = TimeUnit.MINUTES)
  void asynchronousStandbyBehindLosesWhatItHadNotReceived() throws Exception {
    Run run = failover(Replication.ASYNCHRONOUS_LAGGING);
    assertTrue(run.lostAcknowledged > 0, "a second of inserts lost: " + run);
    assertTrue(run.reprocessed > 0, "burst events processed again on the new primary: " + run);
    assertEquals(0, run.duplicated, run.toString());
    run.assertNewHistoryConsistent();
  }

  /** One failover under load, measured and counted. */
  private Run failover(Replication replication) throws Exception {
    boolean synchronous = replication == Replication.SYNCHRONOUS;
    String mode = replication.name().toLowerCase(Locale.ROOT);
    try (PostgresCluster primary = PostgresCluster.start(null);
        TcpProxy link = TcpProxy.start("127.0.0.1", primary.port())) {
      if (report == null) {
        report = new ChaosReport(primary.version());
      }
      primary.execute("postgres", "CREATE DATABASE " + DB);
      Jar.run(ChaosDatabase.envWithUrl(primary.url(DB)), "migrate");
      try (PostgresCluster standby = primary.startStandby("standby1", link.port())) {
        if (synchronous) {
          primary.execute(
              "postgres",
              "ALTER SYSTEM SET synchronous_standby_names = 'standby1'",
              "SELECT pg_reload_conf()");
        }
        awaitReplication(primary, synchronous ? "sync" : "async");
        String hosts = "127.0.0.1:" + primary.port() + ",127.0.0.1:" + standby.port();
        String url = "postgresql://postgres@" + hosts + "/" + DB + "?targetServerType=primary";
        Run run = new Run(replication.label);
        try (Workers workers =
            Workers.start(
                "failover-" + mode,
                ChaosDatabase.envWithUrl(url, "WORKER_THREADS", "2", "BATCH_SIZE", "50"),
                2)) {
          workers.awaitReady(Duration.ofSeconds(90));
          workers.monitorReadiness();
          try (FailoverProducer producer =
              FailoverProducer.start(
                  "jdbc:postgresql://" + hosts + "/" + DB + "?targetServerType=primary",
                  1,
                  EVENTS,
                  20,
                  2_000,
                  4)) {
            crashUnderLoad(replication, primary, standby, link, workers, producer, run);
          }
        }
        // The old primary, started again on its own once nothing reaches it: what it had
        // committed, compared with what reached the standby.
        primary.startServer();
        run.compareWithOldPrimary(EventHistory.read(primary, DB));
        report.add(run.row());
        report.measure(
            run.scenario(),
            "primary stopped (immediate), standby promoted",
            run.resumedSeconds,
            run.caughtUpSeconds,
            run.readySeconds);
        System.out.println("[failover] " + run);
        return run;
      }
    }
  }

  /**
   * Once the workers have finished 10,000 events, stops the primary (immediate) and promotes the
   * standby, measures the recovery, lets producers and workers finish on the new primary, and
   * counts what is there.
   */
  private static void crashUnderLoad(
      Replication replication,
      PostgresCluster primary,
      PostgresCluster standby,
      TcpProxy link,
      Workers workers,
      FailoverProducer producer,
      Run run)
      throws Exception {
    awaitFinished(primary, 10_000, workers);
    if (replication == Replication.ASYNCHRONOUS_LAGGING) {
      // A backlog that reaches the standby, then a stalled link while the workers work it off:
      // the old primary's processing of it never reaches the standby.
      producer.burst(EVENTS + 1, EVENTS + BURST);
      awaitFlushed(primary);
      link.blackhole();
      Thread.sleep(1_000);
    }
    run.lagBytes = queryLong(primary, LAG_BYTES);
    run.crash(primary, standby);
    int sentBeforeStop = producer.acknowledged().length();
    run.awaitResumed(standby, workers);
    run.awaitCaughtUp(standby, sentBeforeStop);
    awaitProducer(producer, workers);
    awaitDrained(standby, workers);
    workers.assertAlive("after the failover: the worker must not need a restart");
    run.readySeconds = workers.readySeconds(run.stoppedNanos);
    for (Workers.Exit exit : workers.terminateAll(Duration.ofSeconds(10))) {
      assertEquals(0, exit.status(), "worker " + exit.slot() + ":\n" + exit.output());
    }
    run.count(producer, EventHistory.read(standby, DB));
  }

  /** How much of the primary's WAL the standby has not flushed yet, in bytes. */
  private static final String LAG_BYTES =
      """
      SELECT coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn)), 0)::bigint
      FROM pg_stat_replication
      """;

  /** Waits until the standby has flushed the primary's WAL as it is now (so the burst). */
  private static void awaitFlushed(PostgresCluster primary) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String now = primary.queryString("postgres", "SELECT pg_current_wal_lsn()");
    String sql =
        "SELECT count(*) FROM pg_stat_replication WHERE flush_lsn >= '" + now + "'::pg_lsn";
    while (queryLong(primary, sql) == 0) {
      assertTrue(System.nanoTime() < deadline, "the standby does not catch up");
      Thread.sleep(5);
    }
  }

  private static void awaitReplication(PostgresCluster primary, String syncState) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    String sql =
        "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND sync_state = '"
            + syncState
            + "'";
    while (!"1".equals(primary.queryString("postgres", sql))) {
      assertTrue(System.nanoTime() < deadline, "standby not streaming (" + syncState + ")");
      Thread.sleep(100);
    }
  }

  private static void awaitFinished(PostgresCluster c, long finished, Workers workers)
      throws Exception {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (queryLong(c, "SELECT count(*) FROM events WHERE status <> 'pending'") < finished) {
      workers.assertAlive("before the failover");
      assertTrue(System.nanoTime() < deadline, finished + " events not finished in time");
      Thread.sleep(50);
    }
  }

  private static void awaitProducer(FailoverProducer producer, Workers workers) throws Exception {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (!producer.done()) {
      workers.assertAlive("while the producers ran");
      assertTrue(System.nanoTime() < deadline, "producers did not finish");
      Thread.sleep(100);
    }
  }

  private static void awaitDrained(PostgresCluster c, Workers workers) throws Exception {
    long deadline = System.nanoTime() + EVENTUALLY.toNanos();
    while (queryLong(c, "SELECT count(*) FROM events WHERE status = 'pending'") > 0) {
      workers.assertAlive("before the queue was drained");
      assertTrue(
          System.nanoTime() < deadline,
          "events still pending; worker 0:\n" + Workers.tail(workers.get(0).output()));
      Thread.sleep(100);
    }
  }

  static long queryLong(PostgresCluster c, String sql) throws SQLException {
    return Long.parseLong(c.queryString(DB, sql));
  }

  /** One scenario's measurements and counts. */
  private static final class Run {
    final String mode;
    long stoppedNanos;
    LocalDateTime stoppedAt;
    double stopSeconds;
    double promoteSeconds;
    double resumedSeconds;
    double caughtUpSeconds;
    double readySeconds;
    long events;
    long processed;
    long failed;
    long pending;
    long lostAcknowledged;
    long duplicated;
    long notFinishedCorrectly;
    long stray;
    long extraAttempts;
    long inDoubtSent;
    long inDoubtStored;
    long acknowledged;
    long finishedOnOld;
    long reprocessed;
    long finishedThenLost;
    long insertedOnOldOnly;
    long lagBytes;
    long pendingOnOld;

    Run(String mode) {
      this.mode = mode;
    }

    String scenario() {
      return "7. failover, " + mode;
    }

    void crash(PostgresCluster primary, PostgresCluster standby) {
      long t = System.nanoTime();
      primary.stopServer("immediate");
      stoppedNanos = System.nanoTime();
      stoppedAt = LocalDateTime.now(ZoneOffset.UTC);
      stopSeconds = (stoppedNanos - t) / 1e9;
      standby.promote();
      promoteSeconds = (System.nanoTime() - stoppedNanos) / 1e9;
    }

    /** Until the new primary holds an event finished after the old one stopped. */
    void awaitResumed(PostgresCluster standby, Workers workers) throws Exception {
      long deadline = System.nanoTime() + EVENTUALLY.toNanos();
      try (Connection c = standby.connect(DB);
          PreparedStatement ps =
              c.prepareStatement("SELECT count(*) FROM events WHERE processed_at > ?")) {
        c.createStatement().execute("SET TIME ZONE 'UTC'");
        ps.setObject(1, stoppedAt);
        while (true) {
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (rs.getLong(1) > 0) {
              break;
            }
          }
          workers.assertAlive("after the failover");
          assertTrue(System.nanoTime() < deadline, "processing did not resume on the standby");
          Thread.sleep(20);
        }
        resumedSeconds = (System.nanoTime() - stoppedNanos) / 1e9;
      }
    }

    /** Until no event sent before the stop is pending on the new primary. */
    void awaitCaughtUp(PostgresCluster standby, int lastSeq) throws Exception {
      long deadline = System.nanoTime() + EVENTUALLY.toNanos();
      String sql =
          "SELECT count(*) FROM events WHERE status = 'pending' AND (data->>'seq')::int <= "
              + lastSeq;
      while (queryLong(standby, sql) > 0) {
        assertTrue(System.nanoTime() < deadline, "the backlog was not worked off");
        Thread.sleep(20);
      }
      caughtUpSeconds = (System.nanoTime() - stoppedNanos) / 1e9;
    }

    void count(FailoverProducer producer, EventHistory now) {
      newHistory = now;
      BitSet acked = producer.acknowledged();
      BitSet doubt = producer.inDoubt();
      acknowledged = acked.cardinality();
      inDoubtSent = doubt.cardinality();
      events = now.bySeq.size();
      processed = now.count(s -> "processed".equals(s.status()));
      failed = now.count(s -> "failed".equals(s.status()));
      pending = now.count(s -> "pending".equals(s.status()));
      for (int seq = acked.nextSetBit(0); seq >= 0; seq = acked.nextSetBit(seq + 1)) {
        if (!now.bySeq.containsKey(seq)) {
          lostAcknowledged++;
        }
      }
      stray = now.strayRows;
      for (var e : now.bySeq.entrySet()) {
        int seq = e.getKey();
        EventHistory.State s = e.getValue();
        if (s.copies() > 1 || s.rows() > 1) {
          duplicated++;
        } else if (!s.finishedCorrectly(seq)) {
          notFinishedCorrectly++;
        } else if (s.attempts() != 1) {
          extraAttempts++;
        }
        if (doubt.get(seq)) {
          inDoubtStored++;
        } else if (!acked.get(seq)) {
          stray++;
        }
      }
    }

    void compareWithOldPrimary(EventHistory old) {
      pendingOnOld = old.count(st -> "pending".equals(st.status()));
      for (var e : old.bySeq.entrySet()) {
        EventHistory.State before = e.getValue();
        EventHistory.State after = newHistory.bySeq.get(e.getKey());
        if (after == null) {
          insertedOnOldOnly++;
        }
        if (before.finished()) {
          finishedOnOld++;
          if (after == null) {
            finishedThenLost++;
          } else if (!before.finishedAt().equals(after.finishedAt())) {
            reprocessed++;
          }
        }
      }
    }

    EventHistory newHistory;

    void assertNewHistoryConsistent() {
      assertEquals(0, notFinishedCorrectly, "events not finished as they should be: " + this);
      assertEquals(0, pending, "events left pending: " + this);
      assertEquals(0, stray, "stray rows or events: " + this);
      assertEquals(0, extraAttempts, "attempts charged for the failover: " + this);
      assertTrue(resumedSeconds > 0, this.toString());
    }

    ChaosReport.Row row() {
      String notes =
          String.format(
              Locale.ROOT,
              "%,d acknowledged to the producer, %d lost; %d sent in doubt (INSERT failed at the"
                  + " crash), %d of them stored; old primary had finished %,d, of which %d never"
                  + " reached the standby and were processed again there, %d lost with their"
                  + " insert; %d inserts only on the old primary, %d events pending there;"
                  + " standby %,d bytes behind at the stop; stop %.2f s, promote %.2f s",
              acknowledged,
              lostAcknowledged,
              inDoubtSent,
              inDoubtStored,
              finishedOnOld,
              reprocessed,
              finishedThenLost,
              insertedOnOldOnly,
              pendingOnOld,
              lagBytes,
              stopSeconds,
              promoteSeconds);
      boolean ok =
          duplicated == 0
              && notFinishedCorrectly == 0
              && pending == 0
              && stray == 0
              && extraAttempts == 0
              && (mode.startsWith("asynchronous") || lostAcknowledged == 0);
      return new ChaosReport.Row(
          scenario(),
          events,
          processed,
          failed,
          lostAcknowledged,
          duplicated,
          stray,
          String.format(Locale.ROOT, "resumed %.2f s after the stop", resumedSeconds),
          notes,
          ok ? "PASS" : "FAIL");
    }

    @Override
    public String toString() {
      return row().toString();
    }
  }
}
