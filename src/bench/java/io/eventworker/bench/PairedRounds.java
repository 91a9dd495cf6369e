package io.eventworker.bench;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * A case measured as a difference: rounds without and with something (hostile input, a prune
 * running alongside; or the SQL floor against the worker doing the same work) on the same table, in
 * alternating order so that neither always meets the larger table or the autovacuum run, and the
 * medians compared. One drain lasts a few seconds, too short to trust alone on a shared machine; so
 * each round also starts settled: vacuumed, checkpointed.
 */
final class PairedRounds {

  /** One timed round: seconds. */
  interface Round {
    double seconds() throws Exception;
  }

  /** What a round inserts, in one transaction. */
  interface Insert {
    void run() throws SQLException;
  }

  /** Median seconds of the rounds without and with. */
  record Result(double without, double with) {
    /** Throughput with, as a fraction of throughput without. */
    double ratio() {
      return without / with;
    }
  }

  private PairedRounds() {}

  static Result run(BenchDatabase db, int rounds, Round without, Round with) throws Exception {
    List<Double> plain = new ArrayList<>();
    List<Double> variant = new ArrayList<>();
    for (int round = 0; round < rounds; round++) {
      boolean withFirst = round % 2 == 1;
      db.settle();
      (withFirst ? variant : plain).add((withFirst ? with : without).seconds());
      db.settle();
      (withFirst ? plain : variant).add((withFirst ? without : with).seconds());
    }
    return new Result(median(plain), median(variant));
  }

  /** Runs {@code insert}, then times until the workers have processed {@code count} more events. */
  static double secondsToProcess(WorkerGroup workers, long count, Insert insert) throws Exception {
    long before = workers.processed();
    insert.run();
    long started = System.nanoTime();
    if (!workers.awaitProcessed(before + count, Duration.ofMinutes(10))) {
      throw new IOException(count + " events were not processed within 10 minutes");
    }
    return (System.nanoTime() - started) / 1e9;
  }

  static double median(List<Double> values) {
    return BenchReport.percentile(values.stream().sorted().toList(), 0.5);
  }
}
