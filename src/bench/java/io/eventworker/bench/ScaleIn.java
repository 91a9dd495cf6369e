package io.eventworker.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Scale-in in the middle of a drain: several worker processes drain a backlog, half of them get
 * SIGTERM (as an orchestrator scaling in sends it) once a quarter is processed, the others finish;
 * then every event is counted: processed once, with exactly its one row.
 */
final class ScaleIn {

  static final int PROCESSES = 4;
  static final int STOPPED = 2;

  private static final String COUNTS =
      """
      SELECT (SELECT count(*) FROM events WHERE status = 'processed'),
             (SELECT count(*) FROM events WHERE status <> 'processed'),
             (SELECT count(*) FROM events WHERE attempts <> 1),
             (SELECT count(*) FROM events WHERE event_type = 'data_entry'),
             (SELECT count(*) FROM data_entries),
             (SELECT count(DISTINCT key) FROM data_entries),
             (SELECT count(*) FROM events WHERE event_type = 'metric'),
             (SELECT count(*) FROM metrics)
      """;

  private ScaleIn() {}

  static void run(
      BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream progress)
      throws Exception {
    long n = options.events();
    progress.println(
        "bench: scale-in: "
            + PROCESSES
            + " processes drain "
            + n
            + " events, "
            + STOPPED
            + " of them stopped by SIGTERM a quarter of the way");
    db.reset();
    List<Integer> exits = new ArrayList<>();
    double processedAtSignal;
    try (WorkerGroup workers = WorkerGroup.start(db, options.withReplicas(PROCESSES))) {
      db.insert(n, "pending");
      long deadline = System.nanoTime() + 600_000_000_000L;
      while (processed(db) < n / 4) {
        if (System.nanoTime() > deadline) {
          throw new IOException("scale-in: a quarter was not processed within 10 minutes");
        }
        WorkerInstance.sleep(5);
      }
      for (int i = 0; i < STOPPED; i++) {
        workers.get(i).terminate();
      }
      processedAtSignal = processed(db) / (double) n;
      for (int i = 0; i < STOPPED; i++) {
        exits.add(workers.get(i).awaitExit());
      }
      while (db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") > 0) {
        if (System.nanoTime() > deadline) {
          throw new IOException("scale-in: the remaining workers did not drain within 10 minutes");
        }
        WorkerInstance.sleep(20);
      }
    }
    long[] c = db.queryLongs(COUNTS);
    long lost = n - c[0];
    long duplicated = (c[4] - c[5]) + Math.max(0, c[7] - c[6]);
    long missingRows = Math.max(0, c[3] - c[5]) + Math.max(0, c[6] - c[7]);
    boolean met =
        lost == 0
            && c[1] == 0
            && c[2] == 0
            && duplicated == 0
            && missingRows == 0
            && exits.stream().allMatch(e -> e == 0);
    String seen =
        BenchReport.format(
            "at %.0f%%, exits %s: lost %d, duplicated %d, rows missing %d, attempts > 1 %d",
            100 * processedAtSignal, exits, lost, duplicated, missingRows, c[2]);
    report.check(
        "scale_in",
        PROCESSES + " processes, " + STOPPED + " SIGTERMed mid-drain",
        n,
        seen,
        "lost 0, duplicated 0",
        met);
    progress.println("bench: scale-in: " + seen);
  }

  private static long processed(BenchDatabase db) throws java.sql.SQLException {
    return db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'");
  }
}
