package io.eventworker.bench;

import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * What idempotency keys cost: {@code enqueue --file} with a key on every line (the temporary table
 * and INSERT ... ON CONFLICT) against the same file without keys (one COPY), and worker throughput
 * on keyed events (each status change also writes the key's index entry) against unkeyed ones.
 */
final class IdempotencyCost implements FeatureCase {

  // The same events with a key, or with none; the key unique per round.
  private static final String EVENTS =
      """
      INSERT INTO events (event_type, user_id, data, idempotency_key)
      SELECT CASE WHEN g % 2 = 1 THEN 'data_entry' ELSE 'metric' END, 1 + g % 100,
             CASE WHEN g % 2 = 1
               THEN jsonb_build_object('key', 'setting-' || g, 'value', 'x', 'type', 'preference')
               ELSE jsonb_build_object('name', 'request_ms', 'value', g % 1000)
             END,
             CASE WHEN ? THEN 'round-' || ? || '-' || g END
      FROM generate_series(1, ?) g
      """;

  private int round;

  @Override
  public String name() {
    return "idempotency";
  }

  @Override
  public void run(BenchDatabase db, Benchmark.Options options, BenchReport report, PrintStream out)
      throws Exception {
    long n = options.events();
    int rounds = options.quick() ? 2 : 4;
    out.printf(
        "bench: idempotency: enqueue --file of %d events with keys and without, then the workers"
            + " on them, %d rounds each%n",
        n, rounds);
    ingest(db, n, rounds, report);
    db.reset();
    PairedRounds.Result result;
    try (WorkerGroup workers = WorkerGroup.start(db, options)) {
      for (boolean withKeys : new boolean[] {true, false}) {
        PairedRounds.secondsToProcess(workers, n, () -> insert(db, n, withKeys));
      }
      result =
          PairedRounds.run(
              db,
              rounds,
              () -> PairedRounds.secondsToProcess(workers, n, () -> insert(db, n, false)),
              () -> PairedRounds.secondsToProcess(workers, n, () -> insert(db, n, true)));
    }
    report.throughput(
        "idempotency_worker",
        "worker on events with an idempotency key",
        n,
        result.with(),
        result.ratio(),
        "of no key",
        0.95);
  }

  /** enqueue --file with and without keys, alternated: events per second of each, as medians. */
  private void ingest(BenchDatabase db, long n, int rounds, BenchReport report) throws Exception {
    List<Double> plain = new ArrayList<>();
    List<Double> keyed = new ArrayList<>();
    for (int r = 0; r < rounds; r++) {
      boolean keyedFirst = r % 2 == 1;
      for (boolean withKeys : new boolean[] {keyedFirst, !keyedFirst}) {
        db.settle();
        String prefix = withKeys ? "file-" + (round++) + "-" : null;
        (withKeys ? keyed : plain).add(Ingest.enqueueFile(db, n, prefix));
      }
    }
    double withRate = PairedRounds.median(keyed);
    double withoutRate = PairedRounds.median(plain);
    report.throughput(
        "idempotency_ingest",
        "enqueue --file, every line with a key",
        n,
        n / withRate,
        withRate / withoutRate,
        "of no key",
        null);
  }

  private void insert(BenchDatabase db, long count, boolean withKeys) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(EVENTS)) {
      ps.setBoolean(1, withKeys);
      ps.setInt(2, round++);
      ps.setLong(3, count);
      ps.executeUpdate();
    }
  }
}
