package io.eventworker.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;

/**
 * The partitions of {@code events} once it is partitioned by created_at (docs/PARTITIONING.md):
 * which there are, and new ones made ahead of time, so that producers' rows go to a partition of
 * their own interval rather than to the default partition. Callers own the transaction.
 */
public final class EventPartitions {

  /** How many intervals past now there are partitions for. */
  static final int AHEAD = 3;

  // Every maintenance transaction of the partitions takes this lock first, so that two workers
  // never create or drop the same partition at once.
  static final long UPKEEP_LOCK = 0x6576656e74735fL;

  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
  private static final DateTimeFormatter MINUTE = DateTimeFormatter.ofPattern("yyyyMMdd_HHmm");

  private static final String PARTITIONED =
      """
      SELECT coalesce((SELECT relkind = 'p' FROM pg_class WHERE oid = to_regclass('events')), false)
      """;

  // The range partitions with their bounds (a lower bound of MINVALUE reads as NULL), oldest
  // first. The default partition, which has no bounds, is left out.
  private static final String RANGES =
      """
      SELECT c.relname,
             substring(b.bound FROM 'FROM \\(''([^'']*)''\\)')::timestamp,
             substring(b.bound FROM 'TO \\(''([^'']*)''\\)')::timestamp
      FROM pg_inherits i
      JOIN pg_class c ON c.oid = i.inhrelid
      CROSS JOIN LATERAL (SELECT pg_get_expr(c.relpartbound, c.oid) AS bound) AS b
      WHERE i.inhparent = 'events'::regclass AND b.bound <> 'DEFAULT'
      ORDER BY 3
      """;

  private static final String TRY_UPKEEP_LOCK = "SELECT pg_try_advisory_xact_lock(?)";

  private static final String LOCK_TIMEOUT = "SELECT set_config('lock_timeout', ?, true)";

  // A new partition for [lo, hi), made apart and attached, so that the parent is locked only in
  // SHARE UPDATE EXCLUSIVE mode (CREATE TABLE ... PARTITION OF would take it ACCESS EXCLUSIVE).
  // Its storage settings and its unique indexes are those of the default partition (a unique
  // index that leaves out created_at can only be one partition's, see PartitionConversion), its
  // other indexes come from the parent's with the attach. Rows of that interval that went to the
  // default partition before it existed move to it first: the attach refuses a default partition
  // that holds rows of the new range.
  private static final String COMPOSE_CREATE =
      """
      WITH p (name, lo, hi) AS (VALUES (?::text, ?::timestamp, ?::timestamp)),
      d AS (SELECT partdefid AS oid FROM pg_partitioned_table WHERE partrelid = 'events'::regclass)
      SELECT sql FROM (
        SELECT 1 AS ord, format('CREATE TABLE %I (LIKE events INCLUDING ALL EXCLUDING INDEXES)%s',
               p.name, coalesce(' WITH (' || array_to_string(c.reloptions, ', ') || ')', '')) AS sql
        FROM p LEFT JOIN d ON true LEFT JOIN pg_class c ON c.oid = d.oid
        UNION ALL
        SELECT 2, format('CREATE UNIQUE INDEX %I ON %I %s',
               left(p.name || '_' || regexp_replace(ic.relname, '^events_default_', ''), 63), p.name,
               substring(pg_get_indexdef(x.indexrelid) FROM ' USING .*$'))
        FROM p, d JOIN pg_index x ON x.indrelid = d.oid JOIN pg_class ic ON ic.oid = x.indexrelid
        WHERE x.indisunique AND NOT EXISTS (SELECT 1 FROM pg_inherits WHERE inhrelid = x.indexrelid)
        UNION ALL
        SELECT 3, format('WITH moved AS (DELETE FROM events WHERE created_at >= %L AND created_at < %L'
               || ' RETURNING *) INSERT INTO %I SELECT * FROM moved', p.lo, p.hi, p.name) FROM p
        UNION ALL
        SELECT 4, format('ALTER TABLE events ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
               p.name, p.lo, p.hi) FROM p
      ) AS s ORDER BY ord
      """;

  private final EventMaintenance maintenance = new EventMaintenance();

  /** Whether {@code events} is a partitioned table. */
  public boolean isPartitioned(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(PARTITIONED);
        ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /** The range partitions, oldest first. */
  public List<Range> ranges(Connection c) throws SQLException {
    List<Range> ranges = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(RANGES);
        ResultSet rs = ps.executeQuery()) {
      while (rs.next()) {
        ranges.add(
            new Range(
                rs.getString(1),
                rs.getObject(2, LocalDateTime.class),
                rs.getObject(3, LocalDateTime.class)));
      }
    }
    return ranges;
  }

  /**
   * Creates the partitions missing up to {@link #AHEAD} intervals past now, one transaction each
   * (committed here), unless another worker is at it. The interval is the newest partition's.
   * Returns how many it created.
   */
  public int createAhead(Connection c, Duration lockTimeout) throws SQLException {
    List<Range> ranges = ranges(c);
    Range newest = ranges.isEmpty() ? null : ranges.get(ranges.size() - 1);
    if (newest == null || newest.lower() == null) {
      c.rollback();
      throw new IllegalStateException(
          "events is partitioned but has no partition with both bounds to take the interval from");
    }
    Duration step = Duration.between(newest.lower(), newest.upper());
    LocalDateTime horizon = maintenance.now(c).plus(step.multipliedBy(AHEAD));
    c.commit();
    int created = 0;
    for (LocalDateTime lo = newest.upper(); lo.isBefore(horizon); lo = lo.plus(step)) {
      if (!lockUpkeep(c, lockTimeout)) {
        c.rollback();
        return created;
      }
      create(c, lo, lo.plus(step));
      c.commit();
      created++;
    }
    return created;
  }

  /**
   * Takes the upkeep lock for this transaction, and sets how long its lock waits may last; false if
   * another session holds it.
   */
  boolean lockUpkeep(Connection c, Duration lockTimeout) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(LOCK_TIMEOUT)) {
      ps.setString(1, Long.toString(lockTimeout.toMillis()));
      ps.executeQuery().close();
    }
    try (PreparedStatement ps = c.prepareStatement(TRY_UPKEEP_LOCK)) {
      ps.setLong(1, UPKEEP_LOCK);
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /** Creates and attaches the partition for [lo, hi), in the caller's transaction. */
  public void create(Connection c, LocalDateTime lo, LocalDateTime hi) throws SQLException {
    ComposedStatements.run(c, COMPOSE_CREATE, name(lo, hi), lo, hi);
  }

  /** events_pYYYYMMDD, or events_pYYYYMMDD_HHMM for intervals that are not whole days. */
  static String name(LocalDateTime lo, LocalDateTime hi) {
    boolean days =
        Duration.between(lo, hi).toHours() % 24 == 0 && lo.toLocalTime().equals(LocalTime.MIDNIGHT);
    return "events_p" + (days ? DAY : MINUTE).format(lo);
  }

  /** A range partition: its name and bounds (lower null for MINVALUE). */
  public record Range(String name, LocalDateTime lower, LocalDateTime upper) {}
}
