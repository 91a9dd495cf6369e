package io.eventworker.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Replicas on one PostgreSQL: 1, 2, 4 and 8 worker processes draining the same backlog, each
 * against the SQL floor from as many connections as they have threads in all, rounds alternated;
 * with what the server was doing meanwhile, to show where PostgreSQL and not the worker is the
 * limit. Then scale-in: SIGTERM to some of the processes in the middle of a drain, and every event
 * counted.
 */
final class ScaleOut {

  static final int[] PROCESSES = {1, 2, 4, 8};
  // Threads per process: 8 processes' pools (3 connections each) and a floor from as many
  // connections as they have threads then take 40 of the server's 100 (max_connections), which
  // leaves room for other clients; with 4 threads each, 72 ran out ("too many clients").
  static final int THREADS = 2;

  /**
   * Warms workers up on events inserted into {@code db} until their compilers are quiet (the
   * benchmark's own warm-up).
   */
  interface WarmUp {
    void run(BenchDatabase db, WorkerGroup workers) throws Exception;
  }

  /** One line of the table: medians over the rounds. */
  private record Line(
      int processes,
      int connections,
      double workerSeconds,
      double floorSeconds,
      ServerLoad.Figures worker,
      ServerLoad.Figures floor,
      double workerCores) {}

  private final BenchDatabase db;
  private final Benchmark.Options options;
  private final int rounds;
  private final WarmUp warmUp;
  private final PrintStream progress;

  ScaleOut(
      BenchDatabase db,
      Benchmark.Options options,
      int rounds,
      WarmUp warmUp,
      PrintStream progress) {
    this.db = db;
    this.options = options;
    this.rounds = rounds;
    this.warmUp = warmUp;
    this.progress = progress;
  }

  void run(BenchReport report) throws Exception {
    List<Line> lines = new ArrayList<>();
    for (int p : PROCESSES) {
      lines.add(measure(p));
    }
    long n = options.events();
    double single = n / lines.get(0).workerSeconds();
    List<List<String>> table = new ArrayList<>();
    for (Line l : lines) {
      double rate = n / l.workerSeconds();
      double floor = n / l.floorSeconds();
      table.add(
          List.of(
              Integer.toString(l.processes()),
              Integer.toString(l.connections()),
              f("%,.0f", rate),
              f("%,.0f", rate / l.processes()),
              f("%.2f", rate / single),
              f("%,.0f", floor),
              f("%.2f", rate / floor),
              f("%.2f", l.worker().backendCores()),
              f("%.2f", l.floor().backendCores()),
              f("%.2f", l.workerCores()),
              f("%.0f%%", 100 * l.worker().machineBusy()),
              f(
                  "%.1f / %.1f / %.1f",
                  l.worker().running(), l.worker().waiting(), l.worker().idleInTransaction()),
              l.worker().topWait()));
    }
    String text =
        report.table(
            "scale_out",
            "scale-out on one PostgreSQL: "
                + n
                + " events per round, "
                + THREADS
                + " threads per process, medians of "
                + rounds
                + " alternated rounds each",
            List.of(
                "processes",
                "connections",
                "events/s",
                "per process",
                "of 1 process",
                "SQL floor/s",
                "of floor",
                "PG CPU (cores)",
                "PG CPU, floor",
                "worker CPU",
                "machine busy",
                "backends run/wait/idle-in-tx",
                "top wait"),
            table);
    progress.print(text);
  }

  private Line measure(int processes) throws Exception {
    long n = options.events();
    int connections = processes * THREADS;
    progress.println(
        "bench: scale-out: "
            + processes
            + " processes against the SQL floor from "
            + connections
            + " connections, "
            + n
            + " events, "
            + rounds
            + " rounds each");
    db.reset();
    List<ServerLoad.Figures> workerLoad = new ArrayList<>();
    List<ServerLoad.Figures> floorLoad = new ArrayList<>();
    List<Double> workerCores = new ArrayList<>();
    PairedRounds.Result result;
    Benchmark.Options o = options.with(n, THREADS, options.batchSize(), processes);
    try (WorkerGroup workers =
        WorkerGroup.start(db, o, Map.of("DB_POOL_SIZE", Integer.toString(THREADS + 1)))) {
      warmUp.run(db, workers);
      db.insertForFloor(Math.min(20_000, n / 5));
      SqlFloor.drain(db, connections, options.batchSize());
      PairedRounds.Round floor =
          () -> {
            db.insertForFloor(n);
            try (ServerLoad load = ServerLoad.start(db)) {
              double seconds = SqlFloor.drain(db, connections, options.batchSize());
              floorLoad.add(load.figures());
              return seconds;
            }
          };
      PairedRounds.Round worker =
          () -> {
            long before = workers.processed();
            db.insert(n, "pending");
            double cpu = workers.cpuSeconds();
            try (ServerLoad load = ServerLoad.start(db)) {
              long started = System.nanoTime();
              if (!workers.awaitProcessed(before + n, Duration.ofMinutes(10))) {
                throw new IOException(n + " events were not processed within 10 minutes");
              }
              double seconds = (System.nanoTime() - started) / 1e9;
              workerLoad.add(load.figures());
              workerCores.add((workers.cpuSeconds() - cpu) / seconds);
              return seconds;
            }
          };
      result = PairedRounds.run(db, rounds, floor, worker);
    }
    return new Line(
        processes,
        connections,
        result.with(),
        result.without(),
        median(workerLoad),
        median(floorLoad),
        PairedRounds.median(workerCores));
  }

  /** Each figure's median over the rounds (the top wait of the middle round). */
  private static ServerLoad.Figures median(List<ServerLoad.Figures> rounds) {
    return new ServerLoad.Figures(
        of(rounds, ServerLoad.Figures::seconds),
        of(rounds, ServerLoad.Figures::backendCores),
        of(rounds, ServerLoad.Figures::machineBusy),
        of(rounds, ServerLoad.Figures::running),
        of(rounds, ServerLoad.Figures::waiting),
        of(rounds, ServerLoad.Figures::idleInTransaction),
        rounds.get(rounds.size() / 2).topWait());
  }

  private static double of(
      List<ServerLoad.Figures> rounds, ToDoubleFunction<ServerLoad.Figures> f) {
    return PairedRounds.median(rounds.stream().map(r -> f.applyAsDouble(r)).toList());
  }

  private static String f(String pattern, Object... args) {
    return BenchReport.format(pattern, args);
  }
}
