package io.eventworker.bench;

import io.eventworker.queue.EventMaintenance;
import io.eventworker.queue.EventPartitions;
import io.eventworker.queue.PartitionConversion;
import io.eventworker.queue.PartitionRetention;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;

/**
 * Partitioned retention (docs/PARTITIONING.md): on two databases holding the same history of
 * processed events, 25 times the run's event count spread over ten days a month back, the worker's
 * throughput on the partitioned table against the plain one in alternated rounds; then what
 * retention costs, dropping the ten day partitions against deleting the rows as {@code prune} does
 * (its steps without their pauses: the work, not the throttled wall time); then the conversion of
 * the plain table as it is by then.
 */
final class PartitionsCase implements FeatureCase {

  private static final Duration RETENTION = Duration.ofDays(7);
  // Processed events created and processed 31 to 41 days ago, in id order.
  private static final String HISTORY =
      """
      INSERT INTO events (event_type, user_id, data, status, created_at, processed_at)
      SELECT 'metric', 1 + g % 100,
             jsonb_build_object('name', 'request_ms', 'value', (g % 1000) * 0.25,
                                'tags', jsonb_build_object('route', '/api/' || g % 20)),
             'processed', t, t
      FROM generate_series(1, ?) g,
           LATERAL (SELECT LOCALTIMESTAMP - interval '41 days'
                           + (g::float8 / ?) * interval '10 days' AS t) AS x
      """;

  private static final String WAL_BYTES =
      "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')::bigint";

  private static final String DROP_CONVERTED = "DROP TABLE events_converted";

  @Override
  public String name() {
    return "partitions";
  }

  @Override
  public void run(
      BenchDatabase plain, Benchmark.Options options, BenchReport report, PrintStream progress)
      throws Exception {
    long history = 25 * options.events();
    long n = options.events();
    int rounds = options.quick() ? 1 : 3;
    try (BenchDatabase partitioned = plain.sibling()) {
      progress.println("bench: partitions: " + history + " processed events in each database");
      partitionByPastDays(partitioned);
      insertHistory(plain, history);
      insertHistory(partitioned, history);
      PairedRounds.Result result;
      try (WorkerGroup plainWorkers = WorkerGroup.start(plain, options);
          WorkerGroup partitionedWorkers = WorkerGroup.start(partitioned, options)) {
        for (int i = 0; i < 2; i++) {
          PairedRounds.secondsToDrain(plain, plainWorkers, n / 4);
          PairedRounds.secondsToDrain(partitioned, partitionedWorkers, n / 4);
        }
        result =
            PairedRounds.run(
                plain,
                rounds,
                () -> PairedRounds.secondsToDrain(plain, plainWorkers, n),
                () -> PairedRounds.secondsToDrain(partitioned, partitionedWorkers, n));
      }
      long count =
          partitioned.queryLong(
              "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass");
      report.throughput(
          "partitions_throughput",
          String.format("worker on events in %d partitions (%,d rows of history)", count, history),
          n,
          result.with(),
          result.ratio(),
          "of the plain table",
          0.9);
      measurePrunes(plain, partitioned, history, options.quick(), report, progress);
    }
    measureConversion(plain, report, progress);
  }

  /**
   * Converts the empty table, and replaces the converted table's partition by day partitions: the
   * days of the history and today, the three ahead, the default partition.
   */
  private static void partitionByPastDays(BenchDatabase db) throws Exception {
    try (Connection c = db.connect()) {
      new PartitionConversion().convert(c, Duration.ofDays(1), Duration.ofSeconds(5));
      c.setAutoCommit(false);
      try (PreparedStatement ps = c.prepareStatement(DROP_CONVERTED)) {
        ps.execute();
      }
      EventPartitions partitions = new EventPartitions();
      LocalDateTime first = partitions.ranges(c).get(0).lower();
      // The days of the history, and today's: as with a retention of a week, when the history
      // is what retention is about to drop.
      for (int day = 43; day >= 1; day = day == 30 ? 1 : day - 1) {
        partitions.create(c, first.minusDays(day), first.minusDays(day - 1));
      }
      c.commit();
    }
  }

  private static void insertHistory(BenchDatabase db, long rows) throws SQLException {
    try (Connection c = db.connect();
        PreparedStatement ps = c.prepareStatement(HISTORY)) {
      ps.setLong(1, rows);
      ps.setLong(2, rows);
      ps.executeUpdate();
    }
    db.settle();
  }

  private static void measurePrunes(
      BenchDatabase plain,
      BenchDatabase partitioned,
      long history,
      boolean quick,
      BenchReport report,
      PrintStream progress)
      throws Exception {
    progress.println("bench: partitions: deleting " + history + " rows");
    plain.settle();
    long walBefore = plain.queryLong(WAL_BYTES);
    long started = System.nanoTime();
    long deleted = deleteUnthrottled(plain);
    double deleteSeconds = (System.nanoTime() - started) / 1e9;
    long deleteWal = plain.queryLong(WAL_BYTES) - walBefore;

    progress.println("bench: partitions: dropping the partitions of " + history + " rows");
    partitioned.settle();
    walBefore = partitioned.queryLong(WAL_BYTES);
    started = System.nanoTime();
    PartitionRetention.Result r;
    try (Connection c = partitioned.connect()) {
      r = new PartitionRetention().prune(c, RETENTION, Duration.ofSeconds(5));
    }
    double dropSeconds = (System.nanoTime() - started) / 1e9;
    long dropWal = partitioned.queryLong(WAL_BYTES) - walBefore;
    report.value(
        "partitions_delete_seconds",
        String.format("prune by DELETE of %,d rows (unthrottled)", deleted),
        deleteSeconds,
        "s",
        null,
        null);
    report.value(
        "partitions_drop_seconds",
        String.format(
            "prune by dropping %d partitions (%,d rows)", r.droppedPartitions(), r.droppedEvents()),
        dropSeconds,
        "s",
        null,
        null);
    report.value(
        "partitions_delete_wal_mb",
        "WAL written by the DELETE prune (whole server)",
        deleteWal / 1e6,
        "MB",
        null,
        null);
    report.value(
        "partitions_drop_wal_mb",
        "WAL written by the partition drop (whole server)",
        dropWal / 1e6,
        "MB",
        null,
        null);
    report.value(
        "partitions_prune_speedup",
        "DELETE time / drop time",
        deleteSeconds / dropSeconds,
        "x",
        quick ? null : (Double) 10.0,
        null);
  }

  /** The steps of EventPruner, without the pauses that keep it to a tenth of a connection. */
  private static long deleteUnthrottled(BenchDatabase db) throws SQLException {
    EventMaintenance maintenance = new EventMaintenance();
    long deleted = 0;
    try (Connection c = db.connect()) {
      LocalDateTime cutoff = maintenance.now(c).minus(RETENTION);
      long after = 0;
      while (true) {
        EventMaintenance.PruneStep step = maintenance.pruneStep(c, after, 1000, cutoff);
        deleted += step.deleted();
        if (step.lastId() < 0
            || step.oldestCreatedAt() == null
            || !step.oldestCreatedAt().isBefore(cutoff)) {
          return deleted;
        }
        after = step.lastId();
      }
    }
  }

  /** migrate --partition-events on the plain table as the rounds left it. */
  private static void measureConversion(BenchDatabase db, BenchReport report, PrintStream progress)
      throws Exception {
    long rows = db.queryLong("SELECT count(*) FROM events");
    progress.println("bench: partitions: converting a table of " + rows + " rows");
    db.settle();
    long started = System.nanoTime();
    try (Connection c = db.connect()) {
      new PartitionConversion().convert(c, Duration.ofDays(1), Duration.ofSeconds(5));
    }
    report.value(
        "partitions_conversion_seconds",
        String.format("conversion of a table of %,d rows (one transaction)", rows),
        (System.nanoTime() - started) / 1e9,
        "s",
        null,
        null);
  }
}
