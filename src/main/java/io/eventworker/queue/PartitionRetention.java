package io.eventworker.queue;

import io.eventworker.queue.EventPartitions.Range;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;

/**
 * Retention on a partitioned {@code events}: a partition whose every event was processed longer ago
 * than the retention period is dropped whole, where {@link EventPruner} would delete its rows one
 * by one. A partition that still holds a pending or failed event, or one processed more recently,
 * is kept, and looked at again next time. The default partition is never dropped; its processed
 * events are deleted as rows.
 */
public final class PartitionRetention {

  private static final int STEP = 1000;

  // Everything that keeps a partition: events not processed, or processed since the cutoff. The
  // scan reads the partition once, without locking it against the workers.
  private static final String COMPOSE_SCAN =
      """
      SELECT format('SELECT count(*), count(*) FILTER (WHERE status IS DISTINCT FROM ''processed'''
             || ' OR processed_at IS NULL OR processed_at >= %L), coalesce(max(id), 0) FROM %I',
             ?::timestamp, ?::text)
      """;

  private static final String NO_STATEMENT_TIMEOUT =
      "SELECT set_config('statement_timeout', '0', true)";

  private static final String LOCK_EVENTS = "LOCK TABLE events IN ACCESS EXCLUSIVE MODE";

  // Under the lock, what could have changed since the scan: a row inserted (a producer may set an
  // old created_at), or one moved back to pending. The partial indexes of pending and failed
  // events make the last two probes, the primary key the first.
  private static final String COMPOSE_RECHECK =
      """
      SELECT format('SELECT (SELECT coalesce(max(id), 0) FROM %1$I),'
             || ' (SELECT count(*) FROM (SELECT 1 FROM %1$I WHERE status = ''pending'' LIMIT 1) p)'
             || ' + (SELECT count(*) FROM (SELECT 1 FROM %1$I WHERE status = ''failed'' LIMIT 1) f)',
             ?::text)
      """;

  private static final String COMPOSE_DROP = "SELECT format('DROP TABLE %I', ?::text)";

  // Processed events of the default partition, a thousand at a time, the partition named (it
  // holds rows of no single interval: without a created_at, or outside every range). Nothing is
  // composed when there is no default partition.
  private static final String COMPOSE_PRUNE_DEFAULT_STEP =
      """
      SELECT format('DELETE FROM %1$s WHERE ctid = ANY (ARRAY(SELECT ctid FROM %1$s'
             || ' WHERE status = ''processed'' AND processed_at < %2$L LIMIT %3$s))',
             partdefid::regclass, ?::timestamp, ?::int)
      FROM pg_partitioned_table WHERE partrelid = 'events'::regclass AND partdefid <> 0
      """;

  private final EventPartitions partitions = new EventPartitions();
  private final EventMaintenance maintenance = new EventMaintenance();

  /**
   * Drops the partitions whose events were all processed before now minus {@code olderThan},
   * creates those missing ahead, and deletes the default partition's old processed events. Commits
   * each step itself; {@code lockTimeout} bounds each wait for the lock that a drop takes.
   */
  public Result prune(Connection c, Duration olderThan, Duration lockTimeout) throws SQLException {
    c.setAutoCommit(false);
    LocalDateTime cutoff = maintenance.now(c).minus(olderThan);
    List<Range> ranges = partitions.ranges(c);
    c.commit();
    int dropped = 0;
    int kept = 0;
    long events = 0;
    for (Range range : ranges) {
      if (range.upper().isAfter(cutoff)) {
        break;
      }
      long droppedEvents = dropIfDone(c, range.name(), cutoff, lockTimeout);
      if (droppedEvents < 0) {
        kept++;
      } else {
        dropped++;
        events += droppedEvents;
      }
    }
    int created = partitions.createAhead(c, lockTimeout);
    long deleted = pruneDefault(c, cutoff);
    return new Result(dropped, events, kept, created, deleted);
  }

  /**
   * Drops partition {@code name} if nothing in it keeps it; returns how many events went with it,
   * or -1 if it stays (something keeps it, the lock was not had in time, or another worker is at
   * it).
   */
  private long dropIfDone(Connection c, String name, LocalDateTime cutoff, Duration lockTimeout)
      throws SQLException {
    // The read of a large partition may outlast the daemon's DB_STATEMENT_TIMEOUT; it holds no
    // lock that anyone waits for.
    try (PreparedStatement ps = c.prepareStatement(NO_STATEMENT_TIMEOUT)) {
      ps.executeQuery().close();
    }
    long[] scan = ComposedStatements.queryLongs(c, 3, COMPOSE_SCAN, cutoff, name);
    c.commit();
    if (scan[1] > 0) {
      return -1;
    }
    try {
      if (!partitions.lockUpkeep(c, lockTimeout)) {
        c.rollback();
        return -1;
      }
      try (PreparedStatement ps = c.prepareStatement(LOCK_EVENTS)) {
        ps.execute();
      }
      long[] now = ComposedStatements.queryLongs(c, 2, COMPOSE_RECHECK, name);
      if (now[0] != scan[2] || now[1] > 0) {
        c.rollback();
        return -1;
      }
      ComposedStatements.run(c, COMPOSE_DROP, name);
      c.commit();
      return scan[0];
    } catch (SQLException e) {
      c.rollback();
      if ("55P03".equals(e.getSQLState())) {
        return -1;
      }
      throw e;
    }
  }

  private long pruneDefault(Connection c, LocalDateTime cutoff) throws SQLException {
    long deleted = 0;
    List<String> step = ComposedStatements.compose(c, COMPOSE_PRUNE_DEFAULT_STEP, cutoff, STEP);
    c.commit();
    if (step.isEmpty()) {
      return 0;
    }
    int done;
    do {
      try (Statement s = c.createStatement()) {
        done = s.executeUpdate(step.get(0));
      }
      c.commit();
      deleted += done;
    } while (done == STEP);
    return deleted;
  }

  /**
   * What a run did: partitions dropped and the events in them, partitions past the cutoff kept,
   * partitions created ahead, and events deleted from the default partition.
   */
  public record Result(
      int droppedPartitions,
      long droppedEvents,
      int keptPartitions,
      int createdPartitions,
      long deletedDefaultEvents) {}
}
