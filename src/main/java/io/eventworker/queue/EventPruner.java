package io.eventworker.queue;

import io.eventworker.queue.EventMaintenance.PruneStep;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;

/**
 * Deletes processed events older than a retention period, a thousand rows per transaction with a
 * pause between, so that a running worker never waits behind it and vacuum can keep up.
 */
public final class EventPruner {

  private static final int STEP = 1000;
  private static final long MIN_PAUSE_MILLIS = 10;
  // Pausing nine times as long as each step took keeps pruning to a tenth of one connection's time
  // whatever the server's load, so that a running worker keeps nearly all of its throughput
  // (docs/PERFORMANCE.md).
  private static final int PAUSE_PER_STEP_TIME = 9;

  private final EventMaintenance maintenance = new EventMaintenance();

  /** Prunes on {@code c} (committing each step itself); returns how many events it deleted. */
  public long prune(Connection c, Duration olderThan) throws SQLException, InterruptedException {
    LocalDateTime cutoff = maintenance.now(c).minus(olderThan);
    if (!c.getAutoCommit()) {
      c.commit();
    }
    long deleted = 0;
    long after = 0;
    while (true) {
      long started = System.nanoTime();
      PruneStep step = maintenance.pruneStep(c, after, STEP, cutoff);
      if (!c.getAutoCommit()) {
        c.commit();
      }
      deleted += step.deleted();
      // Ids grow with time: once a step sees only rows created after the cutoff, the rest of the
      // table is newer still. (A row that a long transaction inserted late is left for next time.)
      if (step.lastId() < 0
          || step.oldestCreatedAt() == null
          || !step.oldestCreatedAt().isBefore(cutoff)) {
        return deleted;
      }
      after = step.lastId();
      long tookMillis = (System.nanoTime() - started) / 1_000_000;
      Thread.sleep(Math.max(MIN_PAUSE_MILLIS, PAUSE_PER_STEP_TIME * tookMillis));
    }
  }
}
