package io.eventworker.queue;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.db.Migrations;
import io.eventworker.queue.EventPartitions.Range;
import io.eventworker.testing.Cli;
import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * events partitioned by created_at (migrate --partition-events): the conversion of a table in use,
 * producers' inserts, and retention by dropping partitions.
 */
@Tag("database")
class PartitionedEventsTest {

  private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(5);

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  /** {@code count} metric events named {@code prefix-N}, created {@code ago} (SQL), as given. */
  private void insert(String prefix, int count, String createdAt, String status, String processedAt)
      throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data, created_at, status, processed_at) SELECT 'metric',"
            + " jsonb_build_object('name', '"
            + prefix
            + "-' || g, 'value', g), "
            + createdAt
            + ", '"
            + status
            + "', "
            + processedAt
            + " FROM generate_series(1, "
            + count
            + ") g");
  }

  private String partitionOf(long id) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement("SELECT tableoid::regclass::text FROM events WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "event " + id + " exists");
        return rs.getString(1);
      }
    }
  }

  private static final String FINGERPRINT =
      "SELECT sum(hashtext(id || status || coalesce(created_at::text, '-') || data::text))"
          + " FROM events";

  @Test
  void conversionKeepsEveryRowAndTheWorkerThenDrainsThemExactlyOnce() throws Exception {
    insert("old", 2000, "LOCALTIMESTAMP - interval '3 days'", "processed", "LOCALTIMESTAMP");
    insert("due", 1500, "LOCALTIMESTAMP - interval '1 hour'", "pending", "NULL");
    insert("undated", 300, "NULL", "pending", "NULL");
    insert("future", 200, "LOCALTIMESTAMP + interval '40 days'", "pending", "NULL");
    db.execute(
        "INSERT INTO events (event_type, data, status, last_error) VALUES ('metric', '{}',"
            + " 'failed', 'bad')");
    long fingerprint = db.queryLong(FINGERPRINT);

    Cli.Result result = Cli.run(db.env(), "migrate", "--partition-events");
    assertEquals(0, result.status(), result.toString());
    assertTrue(
        result
            .out()
            .contains(
                "events is now partitioned by created_at, 1d per partition: events_converted,"
                    + " events_p"),
        result.out());

    assertEquals(fingerprint, db.queryLong(FINGERPRINT));
    assertEquals(4001, db.queryLong("SELECT count(*) FROM events"));
    assertEquals(
        500, db.queryLong("SELECT count(*) FROM events_default"), "undated and future rows");
    assertEquals(3501, db.queryLong("SELECT count(*) FROM events_converted"));
    assertEquals(
        EventPartitions.AHEAD,
        db.queryLong("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass") - 2);
    // The table's indexes, foreign key and trigger are the parent's now.
    assertEquals(
        3,
        db.queryLong(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'events' AND indexname IN"
                + " ('idx_events_claim', 'idx_events_failed', 'idx_events_created_at')"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'events'::regclass AND tgname ="
                + " 'events_notify_insert'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype ="
                + " 'f'"));
    assertEquals(null, new Migrations(db.dataSource()).pendingDescription());
    // The parent has no statistics of its own: the table's health adds up the partitions'.
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () -> {
              try (Connection c = db.connect()) {
                return new QueueReports().tableHealth(c).liveTuples() == 4001;
              }
            });
    String again = Cli.run(db.env(), "migrate", "--partition-events").out();
    assertTrue(again.endsWith("up to date at version 8\nevents is partitioned already\n"), again);

    try (RunningWorker worker = RunningWorker.start(db.config("WORKER_THREADS", "4"))) {
      await()
          .atMost(Duration.ofSeconds(60))
          .until(
              () ->
                  db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0
                      && db.queryLong("SELECT count(*) FROM metrics") == 2000);
    }
    assertEquals(2000, db.queryLong("SELECT count(DISTINCT metric_name) FROM metrics"));
    Cli.Result status = Cli.run(db.env(), "status");
    assertEquals(0, status.status(), status.toString());
    assertTrue(status.out().contains("failed"), status.out());
    assertEquals(
        2000,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
  }

  @Test
  void producersInsertAsBeforeAtBoundariesAndWithoutACreatedAt() throws Exception {
    assertEquals(
        0,
        Cli.run(db.env(), "migrate", "--partition-events", "--partition-interval", "6h").status());
    List<Range> ranges;
    try (Connection c = db.connect()) {
      ranges = new EventPartitions().ranges(c);
    }
    Range next = ranges.get(1);
    assertEquals(Duration.ofHours(6), Duration.between(next.lower(), next.upper()));

    long plain;
    try (Connection c = db.connect()) {
      NewEvent event = new NewEvent("metric", null, "{\"name\":\"a\",\"value\":1}", null, null);
      plain = new EventInserts().insert(c, event, Duration.ZERO).id();
    }
    assertEquals("events_converted", partitionOf(plain), "now is in the current interval");
    Cli.Result enqueued =
        Cli.run(db.env(), "enqueue", "--type", "metric", "--data", "{\"name\":\"b\",\"value\":2}");
    assertEquals(0, enqueued.status(), enqueued.toString());
    // A producer's retry with its idempotency key, within one partition, is stored once.
    for (int attempt = 0; attempt < 2; attempt++) {
      Cli.Result keyed =
          Cli.run(db.env(), "enqueue", "--type", "metric", "--key", "k-1", "--data", "{}");
      assertEquals(0, keyed.status(), keyed.toString());
      assertEquals(attempt == 1, keyed.out().startsWith("skipped 1 event"), keyed.toString());
    }
    assertEquals(1, db.queryLong("SELECT count(*) FROM events WHERE idempotency_key = 'k-1'"));

    db.execute(
        "INSERT INTO events (event_type, data, created_at) VALUES ('metric', '{}', NULL)",
        "INSERT INTO events (event_type, data, created_at) VALUES ('metric', '{}', timestamp '"
            + next.lower()
            + "')",
        "INSERT INTO events (event_type, data, created_at) VALUES ('metric', '{}', timestamp '"
            + next.lower()
            + "' - interval '1 microsecond')",
        "INSERT INTO events (event_type, data, created_at) VALUES ('metric', '{}', timestamp '"
            + ranges.get(ranges.size() - 1).upper()
            + "' + interval '1 hour')");
    long last = db.queryLong("SELECT max(id) FROM events");
    assertEquals("events_default", partitionOf(last - 3));
    assertEquals(next.name(), partitionOf(last - 2));
    assertEquals("events_converted", partitionOf(last - 1));
    assertEquals("events_default", partitionOf(last), "past the partitions made so far");

    // Once its interval's partition is made, the row moves there.
    LocalDateTime lo = ranges.get(ranges.size() - 1).upper();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      new EventPartitions().create(c, lo, lo.plusHours(6));
      c.commit();
    }
    assertTrue(partitionOf(last).startsWith("events_p"), partitionOf(last));
    assertEquals(1, db.queryLong("SELECT count(*) FROM events_default"));
    assertEquals(7, db.queryLong("SELECT count(DISTINCT id) FROM events"));
  }

  /**
   * A partitioned events whose partitions are days in the past, as they are after a while: the
   * converted (empty) table's partition goes, and the 13 days before today and today take its
   * place.
   */
  private List<Range> pastDays() throws Exception {
    assertEquals(0, Cli.run(db.env(), "migrate", "--partition-events").status());
    db.execute("DROP TABLE events_converted");
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      EventPartitions partitions = new EventPartitions();
      LocalDateTime first = partitions.ranges(c).get(0).lower();
      for (int day = 14; day >= 1; day--) {
        partitions.create(c, first.minusDays(day), first.minusDays(day - 1));
      }
      c.commit();
      return partitions.ranges(c);
    }
  }

  /** created_at in the day {@code daysAgo} days before today's partition, at noon. */
  private static String day(int daysAgo) {
    return "date_bin('1 day', LOCALTIMESTAMP, timestamp '2000-01-01') - interval '"
        + (daysAgo - 1)
        + " days' - interval '12 hours'";
  }

  @Test
  void retentionDropsOnlyPartitionsWithNothingPendingFailedOrRecent() throws Exception {
    pastDays();
    insert("done", 500, day(12), "processed", day(12));
    insert("pending-left", 300, day(11), "processed", day(11));
    insert("waiting", 1, day(11), "pending", "NULL");
    insert("failed-left", 300, day(10), "processed", day(10));
    insert("broken", 1, day(10), "failed", day(10));
    insert("late", 300, day(9), "processed", "LOCALTIMESTAMP - interval '1 hour'");
    insert("undated-old", 40, "NULL", "processed", day(12));
    insert("undated-new", 5, "NULL", "processed", "LOCALTIMESTAMP");
    insert("undated-pending", 5, "NULL", "pending", "NULL");
    long partitionsBefore =
        db.queryLong("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass");

    Cli.Result result = Cli.run(db.env(), "prune", "--older-than", "7d");
    assertEquals(0, result.status(), result.toString());
    assertEquals(
        "dropped 3 partitions (500 processed events older than 7d), kept 3 that still hold pending,"
            + " failed or recent events, created 0 ahead; deleted 40 processed events of the"
            + " default partition\n",
        result.out());
    assertEquals(
        partitionsBefore - 3,
        db.queryLong("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM events WHERE data->>'name' LIKE 'done-%'"));
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE status = 'pending' AND created_at IS NOT NULL"));
    assertEquals(1, db.queryLong("SELECT count(*) FROM events WHERE status = 'failed'"));
    assertEquals(
        912,
        db.queryLong("SELECT count(*) FROM events"),
        "everything but the done and undated-old");

    // The failed event retried and processed, and the pending one: once their processing is
    // older than the retention (moved back here, as time would), their partitions go too.
    assertEquals(0, Cli.run(db.env(), "retry", "--all").status());
    try (RunningWorker worker = RunningWorker.start(db.config())) {
      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () -> db.queryLong("SELECT count(*) FROM events WHERE status <> 'processed'") == 0);
    }
    assertEquals(
        "dropped 0 partitions (0 processed events older than 7d), kept 3 that still hold pending,"
            + " failed or recent events, created 0 ahead; deleted 0 processed events of the"
            + " default partition\n",
        Cli.run(db.env(), "prune", "--older-than", "7d").out());
    db.execute(
        "UPDATE events SET processed_at = processed_at - interval '8 days' WHERE data->>'name' IN"
            + " ('waiting-1', 'broken-1')");
    assertTrue(
        Cli.run(db.env(), "prune", "--older-than", "7d")
            .out()
            .startsWith("dropped 2 partitions (602 processed events older than 7d), kept 1 "));
    assertEquals(
        0,
        db.queryLong(
            "SELECT count(*) FROM events WHERE data->>'name' IN ('waiting-1', 'broken-1')"));
  }

  @Test
  void migrateWithOrderedTypesBuildsTheOrderedIndexOnAPartitionedEvents() throws Exception {
    assertEquals(0, Cli.run(db.env(), "migrate", "--partition-events").status());
    Cli.Result ordered = Cli.run(db.env("ORDERED_EVENT_TYPES", "data_entry"), "migrate");
    assertEquals(0, ordered.status(), ordered.toString());
    assertTrue(ordered.out().contains("built idx_events_ordered"), ordered.toString());
    try (Connection c = db.connect()) {
      assertTrue(OrderedClaims.indexReady(c));
    }
  }

  @Test
  void theIndexesThereAreAtConversionAreMadeAgainAndUniqueOnesHoldWithinAPartition()
      throws Exception {
    // Migration 7.1's key producers deduplicate on, and an index of the operator's own.
    db.execute(
        "CREATE INDEX idx_events_user_order ON events (user_id, id) WHERE status = 'pending'");
    assertEquals(0, Cli.run(db.env(), "migrate", "--partition-events").status());
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'events' AND indexname ="
                + " 'idx_events_user_order'"));
    String twice =
        "INSERT INTO events (event_type, data, idempotency_key, created_at) VALUES ('metric',"
            + " '{\"name\":\"k\",\"value\":1}', 'key-1', %s) ON CONFLICT DO NOTHING";
    String later =
        "date_bin('1 day', LOCALTIMESTAMP, timestamp '2000-01-01') + interval '1 day 1 hour'";
    db.execute(twice.formatted("DEFAULT"), twice.formatted("DEFAULT"));
    db.execute(twice.formatted(later), twice.formatted(later));
    // Once in each partition: unique within a partition, not across them.
    assertEquals(2, db.queryLong("SELECT count(*) FROM events WHERE idempotency_key = 'key-1'"));
    assertEquals(
        EventPartitions.AHEAD + 2L,
        db.queryLong(
            "SELECT count(*) FROM pg_index x JOIN pg_inherits i ON i.inhrelid = x.indrelid WHERE"
                + " i.inhparent = 'events'::regclass AND x.indisunique AND pg_get_indexdef("
                + "x.indexrelid) LIKE '%(event_type, idempotency_key) WHERE (idempotency_key IS NOT"
                + " NULL)'"));
  }

  @Test
  void aConversionThatCannotBeDoneSaysWhyAndChangesNothing() throws Exception {
    insert("kept", 10, "LOCALTIMESTAMP", "pending", "NULL");
    db.execute("CREATE VIEW pending_events AS SELECT id FROM events WHERE status = 'pending'");
    Cli.Result refused = Cli.run(db.env(), "migrate", "--partition-events");
    assertEquals(2, refused.status(), refused.toString());
    assertTrue(
        refused.err().contains("cannot partition events: view pending_events reads events"),
        refused.err());
    for (String interval : new String[] {"30m", "90m", "40d", "a day"}) {
      Cli.Result bad =
          Cli.run(db.env(), "migrate", "--partition-events", "--partition-interval", interval);
      assertEquals(2, bad.status(), bad.toString());
      assertTrue(bad.err().contains("expected whole hours from 1h to 31d"), bad.err());
    }
    try (Connection c = db.connect()) {
      assertFalse(new EventPartitions().isPartitioned(c));
    }
    assertEquals(10, db.queryLong("SELECT count(*) FROM events"));
    assertEquals(0, db.queryLong("SELECT count(*) FROM pg_class WHERE relname = 'events_default'"));
  }

  @Test
  void theDaemonMakesTheMissingPartitionsAheadWithoutRetention() throws Exception {
    assertEquals(0, Cli.run(db.env(), "migrate", "--partition-events").status());
    db.execute("DROP TABLE events_p" + tomorrowPlus(2), "DROP TABLE events_p" + tomorrowPlus(1));
    long before =
        db.queryLong("SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass");
    try (RunningWorker worker = RunningWorker.start(db.config())) {
      await()
          .atMost(Duration.ofSeconds(15))
          .until(
              () ->
                  db.queryLong(
                          "SELECT count(*) FROM pg_inherits WHERE inhparent = 'events'::regclass")
                      == before + 2);
    }
  }

  private String tomorrowPlus(int days) throws Exception {
    try (Connection c = db.connect();
        PreparedStatement ps =
            c.prepareStatement(
                "SELECT to_char(LOCALTIMESTAMP + (? + 1) * interval '1 day', 'YYYYMMDD')")) {
      ps.setInt(1, days);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  @Test
  void retentionRunsWhileWorkersClaimAndProducersInsert() throws Exception {
    pastDays();
    for (int day = 8; day <= 12; day++) {
      insert("done" + day, 2000, day(day), "processed", day(day));
    }
    insert("backlog", 1000, day(13), "pending", "NULL");
    int producers = 2;
    int each = 1500;
    AtomicInteger producerErrors = new AtomicInteger();
    AtomicLong dropped = new AtomicLong();
    try (RunningWorker worker = RunningWorker.start(db.config("WORKER_THREADS", "4"))) {
      ExecutorService pool = Executors.newFixedThreadPool(producers + 1);
      List<Future<?>> producing = new ArrayList<>();
      for (int p = 0; p < producers; p++) {
        int producer = p;
        producing.add(
            pool.submit(
                () -> {
                  try (Connection c = db.connect();
                      PreparedStatement ps =
                          c.prepareStatement(
                              "INSERT INTO events (event_type, data, created_at) VALUES ('metric',"
                                  + " jsonb_build_object('name', ?::text, 'value', 1),"
                                  + " CASE WHEN ? THEN NULL ELSE LOCALTIMESTAMP END)")) {
                    for (int i = 0; i < each; i++) {
                      ps.setString(1, "live-" + producer + "-" + i);
                      ps.setBoolean(2, i % 10 == 0);
                      ps.executeUpdate();
                    }
                  } catch (Exception e) {
                    producerErrors.incrementAndGet();
                  }
                  return null;
                }));
      }
      Future<?> pruning =
          pool.submit(
              () -> {
                try (Connection c = db.connect()) {
                  while (dropped.get() < 5 || producing.stream().anyMatch(f -> !f.isDone())) {
                    dropped.addAndGet(
                        new PartitionRetention()
                            .prune(c, Duration.ofDays(7), Duration.ofSeconds(1))
                            .droppedPartitions());
                  }
                }
                return null;
              });
      pruning.get(60, TimeUnit.SECONDS);
      for (Future<?> f : producing) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      await()
          .atMost(Duration.ofSeconds(60))
          .until(() -> db.queryLong("SELECT count(*) FROM metrics") == 1000 + producers * each);
    }
    assertEquals(0, producerErrors.get());
    assertEquals(5, dropped.get());
    assertEquals(0, db.queryLong("SELECT count(*) FROM events WHERE data->>'name' LIKE 'done%'"));
    assertEquals(
        1000 + producers * each,
        db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
    assertEquals(
        1000 + producers * each, db.queryLong("SELECT count(DISTINCT metric_name) FROM metrics"));
  }

  @Test
  void completingFindsTheBatchByItsCreatedAtAndMarksOneOutsideItAllTheSame() throws Exception {
    assertEquals(0, Cli.run(db.env(), "migrate", "--partition-events").status());
    insert("batch", 3, "LOCALTIMESTAMP", "pending", "NULL");
    insert("undated", 1, "NULL", "pending", "NULL");
    EventRepository repository = new EventRepository();
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      List<ClaimedEvent> claimed =
          repository.claim(c, "metric", 10, null, new PayloadBudget(1 << 20)).events();
      assertEquals(4, claimed.size());
      List<Instant> createdAt = new ArrayList<>();
      for (ClaimedEvent e : claimed) {
        // One given a day off, as a wrong read would: the range misses it, the rest finds it.
        createdAt.add(
            e.createdAt() == null || !createdAt.isEmpty()
                ? e.createdAt()
                : e.createdAt().minus(Duration.ofDays(1)));
      }
      repository.complete(
          c, claimed.stream().map(ClaimedEvent::id).toList(), createdAt, List.of(), List.of());
      c.commit();
    }
    assertEquals(
        4, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed' AND attempts = 1"));
  }

  @Test
  void theCreatedAtRangeIsWidenedAndUnboundedWithoutTimes() {
    Instant a = Instant.parse("2026-03-08T02:30:00Z");
    Instant b = Instant.parse("2026-03-08T05:00:00Z");
    CreatedRange range = CreatedRange.of(Arrays.asList(b, null, a));
    assertEquals(a.minus(Duration.ofHours(3)), range.from().toInstant());
    assertEquals(b.plus(Duration.ofHours(3)), range.to().toInstant());
    assertEquals(OffsetDateTime.MIN, CreatedRange.of(Arrays.asList((Instant) null)).from());
    assertEquals(OffsetDateTime.MAX, CreatedRange.of(List.of()).to());
  }

  @Test
  void aPartitionWhoseLockIsNotHadInTimeIsKeptAndDroppedNextTime() throws Exception {
    pastDays();
    insert("done", 100, day(12), "processed", day(12));
    try (Connection reader = db.connect()) {
      // An open transaction that read events holds a lock that a drop has to wait for.
      reader.setAutoCommit(false);
      try (PreparedStatement ps = reader.prepareStatement("SELECT count(*) FROM events")) {
        ps.executeQuery().close();
      }
      try (Connection c = db.connect()) {
        PartitionRetention.Result held =
            new PartitionRetention().prune(c, Duration.ofDays(7), Duration.ofMillis(200));
        assertEquals(0, held.droppedPartitions());
        assertEquals(0, held.droppedEvents());
      }
      assertEquals(100, db.queryLong("SELECT count(*) FROM events"));
      reader.rollback();
    }
    try (Connection c = db.connect()) {
      PartitionRetention.Result free =
          new PartitionRetention().prune(c, Duration.ofDays(7), Duration.ofMillis(200));
      assertEquals(100, free.droppedEvents());
    }
    assertEquals(0, db.queryLong("SELECT count(*) FROM events"));
  }
}
