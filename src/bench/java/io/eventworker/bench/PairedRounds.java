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

  // How long a round may take before the benchmark gives up on it.
  private static final Duration TIMEOUT = Duration.ofMinutes(10);

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
    double[] medians = alternate(db, rounds, without, with);
    return new Result(medians[0], medians[1]);
  }

  /**
   * Runs each kind once a round, each round settled first, in turn: forwards in even rounds,
   * backwards in odd ones. Returns each kind's median seconds, in the order given.
   */
  static double[] alternate(BenchDatabase db, int rounds, Round... kinds) throws Exception {
    List<List<Double>> seconds = new ArrayList<>();
    for (Round ignored : kinds) {
      seconds.add(new ArrayList<>());
    }
    for (int round = 0; round < rounds; round++) {
      for (int k = 0; k < kinds.length; k++) {
        int kind = round % 2 == 0 ? k : kinds.length - 1 - k;
        db.settle();
        seconds.get(kind).add(kinds[kind].seconds());
      }
    }
    return seconds.stream().mapToDouble(PairedRounds::median).toArray();
  }

  /**
   * A round for {@link #alternate} of {@code count} events through {@code workers} on a database of
   * their own, {@code other}: settled here, since alternate settles only the database it is given,
   * then timed as {@link #secondsToDrain}.
   */
  static Round onOwnDatabase(BenchDatabase other, WorkerGroup workers, long count) {
    return () -> {
      other.settle();
      return secondsToDrain(other, workers, count);
    };
  }

  /**
   * Inserts {@code count} pending events of the benchmark's shape into {@code db}, then times until
   * {@code workers} have processed them.
   */
  static double secondsToDrain(BenchDatabase db, WorkerGroup workers, long count) throws Exception {
    return secondsToProcess(workers, count, () -> db.insert(count, "pending"));
  }

  /**
   * Runs {@code insert}, then times until the workers have handled (processed or failed) {@code
   * count} more events.
   */
  static double secondsToHandle(WorkerGroup workers, long count, Insert insert) throws Exception {
    return secondsUntil(
        "handled", workers.handled(), count, insert, t -> workers.awaitHandled(t, TIMEOUT));
  }

  /** Runs {@code insert}, then times until the workers have processed {@code count} more events. */
  static double secondsToProcess(WorkerGroup workers, long count, Insert insert) throws Exception {
    return secondsUntil(
        "processed", workers.processed(), count, insert, t -> workers.awaitProcessed(t, TIMEOUT));
  }

  /** Waits until a count of the workers' reaches a total; false on timeout. */
  private interface Await {
    boolean until(long total) throws IOException;
  }

  private static double secondsUntil(
      String what, long before, long count, Insert insert, Await await) throws Exception {
    insert.run();
    long started = System.nanoTime();
    if (!await.until(before + count)) {
      throw new IOException(
          count + " events were not " + what + " within " + TIMEOUT.toMinutes() + " minutes");
    }
    return (System.nanoTime() - started) / 1e9;
  }

  static double median(List<Double> values) {
    return BenchReport.percentile(values.stream().sorted().toList(), 0.5);
  }
}
