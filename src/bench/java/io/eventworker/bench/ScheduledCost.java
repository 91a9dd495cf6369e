package io.eventworker.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * Worker throughput while as many events as a round processes wait in the queue scheduled for
 * tomorrow, against an empty queue: what a share of not-yet-due events costs the claims (they sit
 * at the end of each type's range of the claim index) and the idle threads' look for the next due.
 */
final class ScheduledCost implements FeatureCase {

  // Valid events of both handled types, due in a day: never processed within the round.
  private static final String SCHEDULED =
      """
      INSERT INTO events (event_type, user_id, data, run_at)
      SELECT CASE WHEN g % 2 = 1 THEN 'data_entry' ELSE 'metric' END, 1 + g % 100,
             CASE WHEN g % 2 = 1
               THEN jsonb_build_object('key', 'later-' || g, 'value', 'x')
               ELSE jsonb_build_object('name', 'later', 'value', g)
             END,
             now() + interval '1 day'
      FROM generate_series(1, ?) g
      """;
  private static final String UNSCHEDULE = "DELETE FROM events WHERE run_at > now()";

  @Override
  public String name() {
    return "scheduled";
  }

  @Override
  public void run(BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream out)
      throws Exception {
    long n = options.events();
    int rounds = options.quick() ? 2 : 4;
    out.printf(
        "bench: scheduled: %d due events, with %d scheduled for tomorrow and without, %d rounds"
            + " each%n",
        n, n, rounds);
    PairedRounds.Insert due = () -> db.insert(n, "pending");
    PairedRounds.Result result;
    try (WorkerGroup workers = WorkerGroup.start(db, options)) {
      // A warm-up round of each kind: the JIT compiles the paths both take.
      for (int i = 0; i < 2; i++) {
        PairedRounds.secondsToProcess(workers, n, due);
      }
      result =
          PairedRounds.run(
              db,
              rounds,
              () -> PairedRounds.secondsToProcess(workers, n, due),
              () -> {
                try {
                  return PairedRounds.secondsToProcess(
                      workers,
                      n,
                      () -> {
                        schedule(db, n);
                        db.insert(n, "pending");
                      });
                } finally {
                  db.execute(UNSCHEDULE);
                }
              });
    }
    report.throughput(
        "scheduled",
        String.format("due events with %,d scheduled later", n),
        n,
        result.with(),
        result.ratio(),
        "of none scheduled",
        0.95);
  }

  private static void schedule(BenchDatabase db, long count) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(SCHEDULED)) {
      ps.setLong(1, count);
      ps.executeUpdate();
    }
  }
}
