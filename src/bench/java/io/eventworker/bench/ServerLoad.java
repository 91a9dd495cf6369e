package io.eventworker.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * What PostgreSQL does while a round runs, sampled every 20 ms from another connection: how many of
 * the benchmark database's backends are running (active, no wait event), waiting (active, on a wait
 * event: a lock, WAL, I/O) or waiting for their client inside a transaction (idle in transaction:
 * the worker's side is what they wait on), and the CPU time those backends used, read from /proc
 * (the server runs on this machine). Besides, the whole machine's CPU use, from /proc/stat: near
 * all of its cores, more workers can only take CPU from PostgreSQL.
 */
final class ServerLoad implements AutoCloseable {

  private static final String SAMPLE =
      """
      SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity
      WHERE datname = current_database() AND backend_type = 'client backend'
        AND pid <> pg_backend_pid()
      """;
  private static final double CLOCK_TICKS = 100.0;

  /** Averages over a round. */
  record Figures(
      double seconds,
      double backendCores,
      double machineBusy,
      double running,
      double waiting,
      double idleInTransaction,
      String topWait) {}

  private final Connection connection;
  private final Thread sampler;
  private final Map<Long, Double> firstCpu = new HashMap<>();
  private final Map<Long, Double> lastCpu = new HashMap<>();
  private final Map<String, Integer> waits = new TreeMap<>();
  private final long started = System.nanoTime();
  private final long[] machineBefore = machineTicks();
  private volatile boolean stop;
  private int samples;
  private long running;
  private long waiting;
  private long idleInTransaction;

  private ServerLoad(BenchDatabase db) throws SQLException {
    this.connection = db.connect();
    connection.setAutoCommit(true);
    this.sampler = new Thread(this::sampleUntilClosed, "bench-server-load");
  }

  /** Starts sampling; closing stops it, and {@link #figures} tells what it saw. */
  static ServerLoad start(BenchDatabase db) throws SQLException {
    ServerLoad load = new ServerLoad(db);
    load.sample();
    load.sampler.start();
    return load;
  }

  private void sampleUntilClosed() {
    while (!stop) {
      WorkerInstance.sleep(20);
      try {
        sample();
      } catch (SQLException e) {
        return;
      }
    }
  }

  private void sample() throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(SAMPLE);
        ResultSet rs = ps.executeQuery()) {
      synchronized (this) {
        samples++;
        while (rs.next()) {
          long pid = rs.getLong(1);
          String state = rs.getString(2);
          String waitType = rs.getString(3);
          double cpu = cpuSeconds(pid);
          // A backend first seen mid-round was born in it: all its CPU time is the round's.
          firstCpu.putIfAbsent(pid, samples == 1 ? cpu : 0.0);
          lastCpu.put(pid, cpu);
          if ("active".equals(state) && waitType == null) {
            running++;
          } else if ("active".equals(state)) {
            waiting++;
            waits.merge(waitType + ":" + rs.getString(4), 1, Integer::sum);
          } else if ("idle in transaction".equals(state)) {
            idleInTransaction++;
          }
        }
      }
    }
  }

  /** What the samples showed, from the start until now. */
  synchronized Figures figures() {
    double seconds = (System.nanoTime() - started) / 1e9;
    double cpu = 0;
    for (var e : lastCpu.entrySet()) {
      cpu += Math.max(0, e.getValue() - firstCpu.get(e.getKey()));
    }
    long[] machineAfter = machineTicks();
    long total = machineAfter[0] - machineBefore[0];
    double busy =
        total <= 0 ? Double.NaN : 1.0 - (machineAfter[1] - machineBefore[1]) / (double) total;
    String top =
        waits.entrySet().stream()
            .max(Map.Entry.comparingByValue())
            .map(Map.Entry::getKey)
            .orElse("-");
    double n = Math.max(1, samples);
    return new Figures(
        seconds, cpu / seconds, busy, running / n, waiting / n, idleInTransaction / n, top);
  }

  @Override
  public void close() throws SQLException {
    stop = true;
    try {
      sampler.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    connection.close();
  }

  /** A backend's CPU seconds so far; 0 where /proc does not show it (a server elsewhere). */
  private static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return (Long.parseLong(fields[11]) + Long.parseLong(fields[12])) / CLOCK_TICKS;
    } catch (IOException | RuntimeException gone) {
      return 0;
    }
  }

  /** The machine's CPU ticks so far: all, and idle (idle plus iowait). */
  private static long[] machineTicks() {
    try {
      String[] cpu = Files.readAllLines(Path.of("/proc/stat")).get(0).trim().split("\\s+");
      long total = 0;
      for (int i = 1; i < cpu.length; i++) {
        total += Long.parseLong(cpu[i]);
      }
      return new long[] {total, Long.parseLong(cpu[4]) + Long.parseLong(cpu[5])};
    } catch (IOException | RuntimeException e) {
      return new long[] {0, 0};
    }
  }
}
