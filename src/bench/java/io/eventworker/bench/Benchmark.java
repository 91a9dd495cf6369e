package io.eventworker.bench;

import io.eventworker.config.WorkerConfig;
import io.eventworker.queue.EventPruner;
import io.eventworker.testing.HostileCorpus;
import java.io.IOException;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The cases of {@code event-worker bench}, one after another on the same server, so that their
 * ratios hold on a noisy machine. Every worker case starts worker processes on an empty queue,
 * warms them up, then commits the measured events in one INSERT and times the drain.
 */
public final class Benchmark {

  /**
   * What to run: the throughput, latency and depth cases ({@code cases}), or of those only the
   * worker against both SQL floors and the ingest rates ({@code throughput}), the scale-out table
   * and scale-in check ({@code scaleOut}), the cold-start rounds ({@code coldStart}, with a variant
   * per entry of {@code coldStartFlags} besides the image's JVM with and without its archive), the
   * feature cases ({@code features}: those in {@code featureNames}, or all when it is empty).
   */
  public record Options(
      long events,
      int threads,
      int batchSize,
      int replicas,
      boolean sweep,
      boolean quick,
      String workerMemory,
      boolean cases,
      boolean throughput,
      boolean scaleOut,
      boolean coldStart,
      List<String> coldStartFlags,
      boolean features,
      Set<String> featureNames) {

    Options withReplicas(int processes) {
      return with(events, threads, batchSize, processes);
    }

    Options with(long events, int threads, int batchSize, int processes) {
      return new Options(
          events,
          threads,
          batchSize,
          processes,
          false,
          quick,
          workerMemory,
          cases,
          throughput,
          scaleOut,
          coldStart,
          coldStartFlags,
          features,
          featureNames);
    }
  }

  /** Prepares a case's database before its workers start; closed after the measurement. */
  private interface Setup {
    AutoCloseable before() throws Exception;
  }

  /** A measured drain. */
  private record Drain(
      long events, double seconds, double cpuPer100k, double peakRssMb, long deadTuples) {
    double rate() {
      return events / seconds;
    }
  }

  private static final Setup NOTHING = () -> () -> {};
  // The synthetic events of the cold-start variant that warms up before it reports ready.
  private static final int WARM_UP_EVENTS = 100_000;

  private final BenchDatabase db;
  private final Options options;
  // Rounds of each kind in the cases measured as a difference (see PairedRounds).
  private final int rounds;
  private final PrintStream progress;
  private final BenchReport report = new BenchReport();

  private Benchmark(BenchDatabase db, Options options, PrintStream progress) {
    this.db = db;
    this.options = options;
    this.rounds = options.quick() ? 2 : 4;
    this.progress = progress;
  }

  /**
   * Runs every case on a new database of {@code server} (dropped at the end), or on {@code given}
   * if not null; progress goes to {@code progress}.
   */
  public static BenchReport run(
      WorkerConfig server, WorkerConfig given, Options options, PrintStream progress)
      throws Exception {
    try (BenchDatabase db =
        given != null ? BenchDatabase.use(given) : BenchDatabase.createOn(server)) {
      return new Benchmark(db, options, progress).run();
    }
  }

  private BenchReport run() throws Exception {
    int threads = options.threads();
    int batch = options.batchSize();
    report.fact("cores", Runtime.getRuntime().availableProcessors());
    db.serverFacts().forEach(report::fact);
    report.fact(
        "worker",
        threads
            + " threads, batches of "
            + batch
            + ", "
            + options.replicas()
            + " process(es), JVM as in a "
            + options.workerMemory()
            + " container");
    report.fact("database", db.name());
    ImageJvm.buildArchive(WorkerInstance.javaCommand());
    if (options.cases()) {
      cases();
    } else if (options.throughput()) {
      workerAgainstFloor();
      ingest();
    }
    if (options.scaleOut()) {
      new ScaleOut(db, options, rounds, this::warmUp, progress).run(report);
      ScaleIn.run(db, options, report, progress);
    }
    if (options.coldStart()) {
      ColdStart coldStart = new ColdStart(db, options, this::warmUp, progress);
      List<ColdStart.Variant> flagged = flaggedVariants();
      List<ColdStart.Variant> variants = new ArrayList<>(imageVariants());
      variants.addAll(flagged);
      coldStart.run(report, variants, options.quick() ? 2 : 3);
      coldStart.warmAgainstImage(report, flagged, rounds);
    }
    if (options.features()) {
      FeatureCosts.run(db, options, options.featureNames(), report, progress);
    }
    return report;
  }

  /** The image's JVM without and with its archive, and with the warm-up before ready. */
  private static List<ColdStart.Variant> imageVariants() {
    return List.of(
        new ColdStart.Variant(
            "no archive",
            new WorkerInstance.Jvm("no archive", ImageJvm.flagsWithoutArchive()),
            Map.of()),
        new ColdStart.Variant("image", WorkerInstance.Jvm.IMAGE, Map.of()),
        new ColdStart.Variant(
            "image, WARM_UP_EVENTS=" + WARM_UP_EVENTS,
            WorkerInstance.Jvm.IMAGE,
            Map.of("WARM_UP_EVENTS", Integer.toString(WARM_UP_EVENTS))));
  }

  /** The image's JVM with each set of flags of --cold-start-jvm. */
  private List<ColdStart.Variant> flaggedVariants() {
    List<ColdStart.Variant> variants = new ArrayList<>();
    for (String extra : options.coldStartFlags()) {
      List<String> flags = new ArrayList<>(WorkerInstance.Jvm.IMAGE.flags());
      flags.addAll(List.of(extra.trim().split("\\s+")));
      variants.add(
          new ColdStart.Variant(
              "image " + extra.trim(), new WorkerInstance.Jvm(extra, flags), Map.of()));
    }
    return variants;
  }

  private void cases() throws Exception {
    long n = options.events();
    workerAgainstFloor();
    // The yardstick of the "of worker" cases, measured as they are: one drain by workers just
    // warmed up, on a table just filled.
    Drain base = drain("worker throughput, one drain", n, n, NOTHING);
    report.throughput(
        "worker_one_drain",
        "worker, one drain (the cases' yardstick)",
        n,
        base.seconds(),
        null,
        "",
        null);
    latency(base);

    // With the default 200,000 events: 1,000,000 pending and 5,000,000 processed rows kept.
    long deep = 5 * n;
    Drain pendingDeep = drain(deep + " pending", deep, n, NOTHING);
    report.throughput(
        "deep_pending",
        String.format("%,d pending", deep),
        n,
        pendingDeep.seconds(),
        pendingDeep.rate() / base.rate(),
        "of worker",
        0.9);

    long kept = options.quick() ? 5 * n : 25 * n;
    Drain history = drain(kept + " processed kept", n, n, keepProcessed(kept));
    report.throughput(
        "processed_kept",
        String.format("%,d processed rows kept", kept),
        n,
        history.seconds(),
        history.rate() / base.rate(),
        "of worker",
        0.9);

    pruneAlongside();

    Drain held = drain("held REPEATABLE READ horizon", n, n, this::holdHorizon);
    report.throughput(
        "held_horizon",
        "held REPEATABLE READ horizon",
        n,
        held.seconds(),
        held.rate() / base.rate(),
        "of worker",
        0.8);
    report.value(
        "dead_tuples_held",
        "  dead rows VACUUM could not remove, held",
        held.deadTuples(),
        "rows",
        null,
        null);
    report.value(
        "dead_tuples_clean",
        "  dead rows VACUUM could not remove, clean",
        base.deadTuples(),
        "rows",
        null,
        null);

    hostile();

    ingest();

    report.value(
        "worker_peak_rss", "worker peak resident memory", base.peakRssMb(), "MB", null, 300.0);
    report.value(
        "worker_cpu_per_100k", "worker CPU per 100,000 events", base.cpuPer100k(), "s", null, null);

    if (options.sweep()) {
      sweep(n);
    }
  }

  private void latency(Drain base) throws Exception {
    step("latency: idle queue, then a steady producer at half the throughput");
    db.reset();
    try (WorkerGroup workers = WorkerGroup.start(db, options);
        LatencyProbe probe = new LatencyProbe(db)) {
      warmUp(workers);
      // Idle means idle: not during the vacuum and checkpoint that the warm-up's writes bring on.
      db.settle();
      List<Double> idle = probe.idle(options.quick() ? 100 : 300);
      report.latency("latency_idle", "latency, idle queue (insert to processed)", idle, 5.0, 25.0);
      double rate = base.rate() / 2;
      List<Double> loaded = probe.underLoad(rate, Duration.ofSeconds(options.quick() ? 4 : 10));
      report.latency(
          "latency_half_load",
          String.format("latency, producer at %,.0f/s", rate),
          loaded,
          null,
          100.0);
    }
  }

  /**
   * The worker's throughput and the SQL floor's, as medians of rounds taken in turn in one
   * database, each settled first: a single drain of each, one after the other, measured the host's
   * changes of pace as much as either, and a worker's first drain ran slower than its later ones
   * (1.04 to 1.25 times as long). The workers idle through the floor's rounds.
   */
  private void workerAgainstFloor() throws Exception {
    long n = options.events();
    int connections = options.threads() * options.replicas();
    step(
        "worker throughput against the SQL floor at its settings (one statement per batch from "
            + connections
            + " connections) and at the best of a grid: "
            + n
            + " events, "
            + rounds
            + " rounds each");
    db.reset();
    double[] seconds;
    FloorGrid.Point best;
    Options atBest;
    try (WorkerGroup workers = WorkerGroup.start(db, options)) {
      warmUp(workers);
      db.insertForFloor(Math.min(20_000, n / 5));
      SqlFloor.drain(db, connections, options.batchSize());
      best = FloorGrid.best(db, n, report, progress);
      PairedRounds.Round worker = () -> PairedRounds.secondsToDrain(db, workers, n);
      // The worker at the best floor's settings too, on a database of its own (the two groups
      // would share one queue): whether the defaults should move to where the floor is fastest.
      atBest =
          options.with(
              n,
              Math.max(1, best.connections() / options.replicas()),
              best.batchSize(),
              options.replicas());
      try (BenchDatabase other = db.sibling();
          WorkerGroup bestWorkers = WorkerGroup.start(other, atBest)) {
        warmUp(other, bestWorkers);
        seconds =
            PairedRounds.alternate(
                db,
                rounds,
                worker,
                floor(connections, options.batchSize()),
                floor(best),
                PairedRounds.onOwnDatabase(other, bestWorkers, n));
      }
    }
    report.throughput("worker", "worker throughput", n, seconds[0], null, "", null);
    report.throughput(
        "sql_floor", "SQL floor at the worker's settings", n, seconds[1], null, "", null);
    report.throughput(
        "worker_vs_floor",
        "worker / SQL floor",
        n,
        seconds[0],
        seconds[1] / seconds[0],
        "of floor",
        0.85);
    report.throughput(
        "sql_best_floor",
        "SQL floor at its best: " + best.settings(),
        n,
        seconds[2],
        null,
        "",
        null);
    report.throughput(
        "worker_vs_best_floor",
        "worker / best SQL floor",
        n,
        seconds[0],
        seconds[2] / seconds[0],
        "of floor",
        0.92);
    // Where the best point is the worker's own, the second group repeats the first on another
    // database: what the two groups differ by then is the benchmark's own error.
    boolean same =
        atBest.threads() == options.threads() && atBest.batchSize() == options.batchSize();
    report.throughput(
        "worker_at_best_floor_settings",
        "worker at "
            + atBest.threads()
            + " threads, batches of "
            + atBest.batchSize()
            + (same
                ? " (the defaults again, on a second database: an A/A check)"
                : " (the best floor's)"),
        n,
        seconds[3],
        seconds[0] / seconds[3],
        "of defaults",
        null);
  }

  private PairedRounds.Round floor(int connections, int batchSize) {
    long n = options.events();
    return () -> {
      db.insertForFloor(n);
      return SqlFloor.drain(db, connections, batchSize);
    };
  }

  private PairedRounds.Round floor(FloorGrid.Point point) {
    return floor(point.connections(), point.batchSize());
  }

  /**
   * The hostile corpus mixed into the traffic (8%: 16,000 events, over 10,000 of them bad, at the
   * default 200,000) against a clean run of as many events in all: the failing events are work too.
   * Each round is timed until every event is handled, processed or failed. The warm-up runs both
   * kinds of round.
   */
  private void hostile() throws Exception {
    long n = options.events();
    List<HostileCorpus.HostileEvent> corpus =
        HostileCorpus.generate((int) Math.max(1_000, n * 8 / 100));
    long total = n + corpus.size();
    long valid = n + corpus.stream().filter(HostileCorpus.HostileEvent::processed).count();
    step(
        "hostile input: "
            + n
            + " valid events with "
            + corpus.size()
            + " hostile ones mixed in, against "
            + total
            + " clean ones, "
            + rounds
            + " rounds each");
    db.reset();
    PairedRounds.Insert clean = () -> db.insert(total, "pending");
    PairedRounds.Insert mixed = () -> db.insertWithHostile(n, corpus);
    PairedRounds.Result result;
    try (WorkerGroup workers =
        WorkerGroup.start(db, options, Map.of("UNHANDLED_EVENT_TYPES", "fail"))) {
      PairedRounds.Round without = () -> PairedRounds.secondsToHandle(workers, total, clean);
      PairedRounds.Round with = () -> PairedRounds.secondsToHandle(workers, total, mixed);
      warmUp(workers, without, with);
      result = PairedRounds.run(db, rounds, without, with);
    }
    report.throughput(
        "hostile_input",
        "events handled, " + corpus.size() + " hostile mixed in, against as many clean",
        total,
        result.with(),
        result.ratio(),
        "of clean",
        0.9);
    report.value(
        "hostile_valid_rate",
        "  of which valid (processed) events/s",
        valid / result.with(),
        "events/s",
        null,
        null);
  }

  /**
   * {@code enqueue --file} against {@code psql \copy} of the same rows, in alternated rounds, each
   * on an emptied table; then one producer's multi-row INSERTs.
   */
  private void ingest() throws Exception {
    long n = options.events();
    step(
        "ingest: enqueue --file against psql \\copy, "
            + rounds
            + " rounds each; multi-row INSERTs");
    List<Double> file = new ArrayList<>();
    List<Double> copy = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < 2; k++) {
        db.reset();
        db.settle();
        if ((round + k) % 2 == 0) {
          file.add(Ingest.enqueueFile(db, n));
        } else {
          copy.add(Ingest.psqlCopy(db, n));
        }
      }
    }
    double fileRate = PairedRounds.median(file);
    double copyRate = PairedRounds.median(copy);
    report.value(
        "ingest_enqueue_file", "ingest: enqueue --file (COPY)", fileRate, "events/s", null, null);
    report.value("ingest_psql_copy", "ingest: psql \\copy", copyRate, "events/s", null, null);
    report.value(
        "ingest_file_vs_copy",
        "ingest: enqueue --file / psql \\copy",
        fileRate / copyRate,
        "",
        1.0,
        null);
    db.reset();
    double inserts = Ingest.multiRowInserts(db, n, 1000);
    report.value(
        "ingest_multi_row_insert",
        "ingest: INSERTs of 1000 rows, 1 producer",
        inserts,
        "events/s",
        null,
        null);
  }

  /**
   * What `prune --older-than 7d` runs, in a thread alongside the workers, on the table the previous
   * case left (its processed rows dated 30 days back), against rounds without it.
   */
  private void pruneAlongside() throws Exception {
    long n = options.events();
    step(
        "prune alongside: "
            + n
            + " events, "
            + rounds
            + " rounds with a prune running and "
            + rounds
            + " without");
    String old =
        "SELECT count(*) FROM events WHERE status = 'processed' AND processed_at < LOCALTIMESTAMP -"
            + " interval '7 days'";
    long before = db.queryLong(old);
    PairedRounds.Insert insert = () -> db.insert(n, "pending");
    PairedRounds.Result result;
    try (WorkerGroup workers = WorkerGroup.start(db, options)) {
      warmUp(workers);
      result =
          PairedRounds.run(
              db,
              rounds,
              () -> PairedRounds.secondsToProcess(workers, n, insert),
              () -> {
                try (AutoCloseable pruner = startPrune()) {
                  return PairedRounds.secondsToProcess(workers, n, insert);
                }
              });
    }
    long pruned = before - db.queryLong(old);
    report.throughput(
        "prune_alongside",
        String.format("prune deleting alongside (%,d rows)", pruned),
        n,
        result.with(),
        result.ratio(),
        "of no prune",
        0.95);
  }

  /** Starts pruning in a thread; closing stops it. */
  private AutoCloseable startPrune() throws SQLException {
    Connection c = db.connect();
    Thread pruner =
        new Thread(
            () -> {
              try {
                new EventPruner().prune(c, Duration.ofDays(7));
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              } catch (SQLException e) {
                progress.println("bench: prune failed: " + e.getMessage());
              }
            },
            "bench-prune");
    pruner.start();
    return () -> {
      pruner.interrupt();
      pruner.join();
      c.close();
    };
  }

  private Drain drain(String what, long queued, long measured, Setup setup) throws Exception {
    step(
        what
            + ": "
            + measured
            + " events"
            + (queued > measured ? " of " + queued + " queued" : ""));
    db.reset();
    try (AutoCloseable during = setup.before();
        WorkerGroup workers = WorkerGroup.start(db, options)) {
      warmUp(workers);
      double cpuBefore = workers.cpuSeconds();
      long handledBefore = workers.handled();
      db.insert(queued, "pending");
      long started = System.nanoTime();
      if (!workers.awaitHandled(handledBefore + measured, Duration.ofMinutes(10))) {
        throw new IOException(what + ": the events were not processed within 10 minutes");
      }
      double seconds = (System.nanoTime() - started) / 1e9;
      double cpu = workers.cpuSeconds() - cpuBefore;
      double rss = workers.peakResidentMegabytes();
      workers.close();
      // What a held snapshot costs: the dead row versions VACUUM must leave behind. Statistics
      // reach pg_stat_user_tables about a second after the vacuum.
      db.execute("VACUUM events");
      WorkerInstance.sleep(1500);
      return new Drain(measured, seconds, cpu / measured * 100_000, rss, db.deadTuples());
    }
  }

  /**
   * Runs rounds of events through the workers until the JVM's JIT compilers stay quiet (under 5% of
   * a round's time, two rounds in a row): what is measured then is the steady state of a
   * long-running worker, not its first minute of compiling.
   */
  private void warmUp(WorkerGroup workers) throws Exception {
    warmUp(db, workers);
  }

  /** As above, on events inserted into {@code on}, the workers' database. */
  private void warmUp(BenchDatabase on, WorkerGroup workers) throws Exception {
    long round = Math.min(20_000, Math.max(1_000, options.events() / 5));
    warmUp(workers, () -> PairedRounds.secondsToDrain(on, workers, round));
  }

  /**
   * Runs the given rounds in turn until the compilers stay quiet through each kind (and two rounds
   * at least). A case whose traffic takes other paths through the worker (failures, megabyte
   * payloads) warms up with that traffic: otherwise its first rounds measure the compiling.
   */
  private void warmUp(WorkerGroup workers, PairedRounds.Round... kinds) throws Exception {
    // --quick settles for fewer quiet rounds, at most eight: its figures are rougher anyway.
    int quietNeeded = options.quick() ? kinds.length : Math.max(2, kinds.length);
    int maxRounds = (options.quick() ? 8 : 20) * kinds.length;
    int quietRounds = 0;
    for (int i = 0; i < maxRounds && quietRounds < quietNeeded; i++) {
      double compilingBefore = workers.compilerSeconds();
      double seconds = kinds[i % kinds.length].seconds();
      boolean quiet = workers.compilerSeconds() - compilingBefore < 0.05 * seconds * workers.size();
      quietRounds = quiet ? quietRounds + 1 : 0;
    }
  }

  private Setup keepProcessed(long rows) {
    return () -> {
      step("  loading " + rows + " processed events and vacuuming");
      for (long loaded = 0; loaded < rows; loaded += 1_000_000) {
        db.insert(Math.min(1_000_000, rows - loaded), "processed");
      }
      db.execute("VACUUM ANALYZE events");
      return () -> {};
    };
  }

  /**
   * A long report in another session: a snapshot held open for the whole run, as readonly_user
   * would.
   */
  private AutoCloseable holdHorizon() throws SQLException {
    Connection report = db.connect();
    report.setAutoCommit(false);
    report.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
    try (Statement s = report.createStatement()) {
      s.executeQuery("SELECT count(*) FROM users").close();
    }
    return () -> {
      report.rollback();
      report.close();
    };
  }

  private void sweep(long n) throws Exception {
    long events = Math.max(20_000, n / 4);
    for (int threads : new int[] {1, 2, 4, 8}) {
      for (int batch : new int[] {50, 100, 200, 500}) {
        Options o = options.with(events, threads, batch, 1);
        Drain d =
            new Benchmark(db, o, progress)
                .drain(threads + " threads, batch " + batch, events, events, NOTHING);
        report.sweep(threads + " threads, batch " + batch, events, d.seconds());
      }
    }
    for (int replicas : new int[] {2, 3}) {
      Options o = options.with(events, 2, options.batchSize(), replicas);
      Drain d =
          new Benchmark(db, o, progress)
              .drain(replicas + " processes of 2 threads", events, events, NOTHING);
      report.sweep(
          replicas + " processes x 2 threads, batch " + options.batchSize(), events, d.seconds());
    }
  }

  private void step(String message) {
    progress.println("bench: " + message);
  }
}
