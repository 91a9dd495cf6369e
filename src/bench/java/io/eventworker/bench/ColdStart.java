package io.eventworker.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A replica added during a burst: a process started on a backlog of N pending events, timed from
 * its start to ready (/health/ready 200) and from ready until it has handled the N; then the same
 * process warmed up until its compilers are quiet, and timed on another N. Each JVM variant runs
 * that pair once a round, variants in turn, rounds alternating the order; the figures are medians
 * of each round's own ratio, so the host's changes of pace cancel out.
 */
final class ColdStart {

  /** A way to start the worker: its JVM and extra settings. */
  record Variant(String name, WorkerInstance.Jvm jvm, Map<String, String> settings) {}

  /**
   * One cold round and its warm counterpart, same process: {@code coldEvents} are those handled
   * after ready (a few may be done before the poll sees it), {@code events} the backlog.
   */
  private record Round(
      double readySeconds,
      double coldSeconds,
      long coldEvents,
      long events,
      double warmSeconds,
      double compilerSeconds) {
    double coldRate() {
      return coldEvents / coldSeconds;
    }

    double warmRate() {
      return events / warmSeconds;
    }

    double ratio() {
      return coldRate() / warmRate();
    }

    /** The whole backlog from the process's start, against the warm rate. */
    double ratioFromStart() {
      return events / (readySeconds + coldSeconds) / warmRate();
    }
  }

  private final BenchDatabase db;
  private final Benchmark.Options options;
  private final ScaleOut.WarmUp warmUp;
  private final PrintStream progress;

  ColdStart(
      BenchDatabase db, Benchmark.Options options, ScaleOut.WarmUp warmUp, PrintStream progress) {
    this.db = db;
    this.options = options;
    this.warmUp = warmUp;
    this.progress = progress;
  }

  void run(BenchReport report, List<Variant> variants, int rounds) throws Exception {
    long n = backlog();
    List<List<Round>> byVariant = new ArrayList<>();
    variants.forEach(v -> byVariant.add(new ArrayList<>()));
    for (int r = 0; r < rounds; r++) {
      for (int k = 0; k < variants.size(); k++) {
        int v = (r % 2 == 0) ? k : variants.size() - 1 - k;
        progress.println(
            "bench: cold start, round "
                + (r + 1)
                + " of "
                + rounds
                + ": "
                + variants.get(v).name());
        byVariant.get(v).add(round(variants.get(v)));
      }
    }
    double baseWarm = median(byVariant.get(0), Round::warmRate);
    List<List<String>> lines = new ArrayList<>();
    for (int v = 0; v < variants.size(); v++) {
      List<Round> rs = byVariant.get(v);
      double ratio = median(rs, Round::ratio);
      lines.add(
          List.of(
              variants.get(v).name(),
              f("%.2f s", median(rs, Round::readySeconds)),
              f("%,.0f", median(rs, Round::coldRate)),
              f("%,.0f", median(rs, Round::warmRate)),
              f("%.2f", ratio),
              f("%.2f", median(rs, Round::ratioFromStart)),
              f("%.2f", median(rs, Round::coldRate) / baseWarm),
              f("%.1f s", median(rs, Round::compilerSeconds))));
      report.throughput(
          "cold_start_" + v,
          "cold start, " + variants.get(v).name(),
          n,
          n / median(rs, Round::coldRate),
          ratio,
          "of warm",
          0.8);
      report.value(
          "cold_start_ready_" + v,
          "  start to ready, " + variants.get(v).name(),
          median(rs, Round::readySeconds),
          "s",
          null,
          null);
    }
    String text =
        report.table(
            "cold_start",
            "cold start: the first "
                + n
                + " events of a fresh process against the same process warm, medians of "
                + rounds
                + " rounds",
            List.of(
                "JVM",
                "start to ready",
                "cold events/s",
                "warm events/s",
                "cold of warm",
                "incl. start-up",
                "cold of first JVM's warm",
                "JIT CPU, cold drain"),
            lines);
    progress.print(text);
  }

  /**
   * The warm throughput of each variant against the image's: one group of each, warmed up, each on
   * a database of its own on the same server, taking turns on N events for {@code rounds} rounds
   * each. A JVM that starts faster may run slower once warm; this says by how much.
   */
  void warmAgainstImage(BenchReport report, List<Variant> variants, int rounds) throws Exception {
    long n = backlog();
    for (Variant variant : variants) {
      progress.println(
          "bench: warm throughput, "
              + variant.name()
              + " against the image, "
              + rounds
              + " rounds");
      db.reset();
      try (BenchDatabase other = db.sibling();
          WorkerGroup image = WorkerGroup.start(db, options);
          WorkerGroup flagged = WorkerGroup.of(launch(other, variant))) {
        flagged.get(0).awaitReady();
        warmUp.run(db, image);
        warmUp.run(other, flagged);
        double[] seconds =
            PairedRounds.alternate(
                db,
                rounds,
                () -> PairedRounds.secondsToDrain(db, image, n),
                PairedRounds.onOwnDatabase(other, flagged, n));
        report.throughput(
            "warm_" + variant.name().replaceAll("\\W+", "_"),
            "warm, " + variant.name(),
            n,
            seconds[1],
            seconds[0] / seconds[1],
            "of image",
            null);
      }
    }
  }

  private WorkerInstance launch(BenchDatabase on, Variant variant) throws IOException {
    return WorkerInstance.launch(
        on,
        variant.jvm(),
        options.threads(),
        options.batchSize(),
        options.workerMemory(),
        variant.settings());
  }

  /** The backlog: at least 20,000 events, so that even a small --events outlasts the start. */
  private long backlog() {
    return Math.max(20_000, options.events());
  }

  private Round round(Variant variant) throws Exception {
    long n = backlog();
    db.reset();
    db.insert(n, "pending");
    db.settle();
    WorkerInstance worker = launch(db, variant);
    try (WorkerGroup group = WorkerGroup.of(worker)) {
      double ready = worker.awaitReady();
      long atReady = worker.handled();
      double compilingAtReady = worker.compilerSeconds();
      long started = System.nanoTime();
      if (!group.awaitHandled(n, Duration.ofMinutes(10))) {
        throw new IOException("cold start: the backlog was not processed within 10 minutes");
      }
      double cold = (System.nanoTime() - started) / 1e9;
      double compiling = worker.compilerSeconds() - compilingAtReady;
      if (atReady >= n) {
        throw new IOException("cold start: the backlog was drained before the worker was ready");
      }
      warmUp.run(db, group);
      db.settle();
      double warm = PairedRounds.secondsToDrain(db, group, n);
      return new Round(ready, cold, n - atReady, n, warm, compiling);
    }
  }

  private static double median(List<Round> rounds, java.util.function.ToDoubleFunction<Round> f) {
    return PairedRounds.median(rounds.stream().map(f::applyAsDouble).toList());
  }

  private static String f(String pattern, Object... args) {
    return BenchReport.format(pattern, args);
  }
}
