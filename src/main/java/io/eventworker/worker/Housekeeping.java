package io.eventworker.worker;

import io.eventworker.config.Settings;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.Transactions;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventMaintenance;
import io.eventworker.queue.EventPartitions;
import io.eventworker.queue.EventPruner;
import io.eventworker.queue.PartitionRetention;
import io.eventworker.runtime.DaemonThreads;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The daemon's chores, on one background thread: deleting processed events older than RETENTION
 * (every 10 minutes; on a partitioned events, dropping partitions and making them ahead), and, with
 * UNHANDLED_EVENT_TYPES=fail, failing pending events of types this worker has no handler for (every
 * poll interval, at least every second).
 */
final class Housekeeping implements AutoCloseable {

  /** The type label under which events failed for want of a handler are counted. */
  static final String UNHANDLED = "(unhandled)";

  private static final Logger log = LoggerFactory.getLogger(Housekeeping.class);
  private static final Duration PRUNE_EVERY = Duration.ofMinutes(10);
  private static final int STEP = 1000;
  // How long dropping or attaching a partition waits for its lock (producers queue behind it).
  private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(1);

  private final WorkerConfig config;
  private final DataSource dataSource;
  private final Handlers handlers;
  private final WorkerMetrics metrics;
  private final EventMaintenance maintenance = new EventMaintenance();
  private final EventPartitions partitions = new EventPartitions();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("event-worker-housekeeping"));

  Housekeeping(
      WorkerConfig config, DataSource dataSource, Handlers handlers, WorkerMetrics metrics) {
    this.config = config;
    this.dataSource = dataSource;
    this.handlers = handlers;
    this.metrics = metrics;
  }

  void start() {
    // Also without RETENTION: a partitioned events needs its partitions made ahead.
    scheduler.scheduleWithFixedDelay(this::prune, 1, PRUNE_EVERY.toSeconds(), TimeUnit.SECONDS);
    if (config.failUnhandledTypes()) {
      long every = Math.max(1000, config.pollInterval().toMillis());
      scheduler.scheduleWithFixedDelay(this::failUnhandledTypes, 0, every, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Deletes processed events older than RETENTION, or on a partitioned events drops the partitions
   * that hold only those, and makes the partitions ahead; a failure is logged and tried next time.
   */
  void prune() {
    try (Connection c = dataSource.getConnection()) {
      boolean partitioned = Transactions.commit(c, partitions::isPartitioned);
      if (partitioned) {
        upkeep(c);
        return;
      }
      if (config.retention() == null) {
        return;
      }
      long deleted = new EventPruner().prune(c, config.retention());
      if (deleted > 0) {
        log.info(
            "pruned {} processed events older than {}",
            deleted,
            Settings.format(config.retention()));
      }
    } catch (SQLException | RuntimeException e) {
      log.warn(
          "pruning failed, trying again in {}: {}", Settings.format(PRUNE_EVERY), e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void upkeep(Connection c) throws SQLException {
    if (config.retention() == null) {
      int created = partitions.createAhead(c, LOCK_TIMEOUT);
      if (created > 0) {
        log.info("created {} partitions of events ahead", created);
      }
      return;
    }
    PartitionRetention.Result r =
        new PartitionRetention().prune(c, config.retention(), LOCK_TIMEOUT);
    if (r.droppedPartitions() + r.createdPartitions() + r.deletedDefaultEvents() > 0) {
      log.info(
          "dropped {} partitions of events ({} processed events older than {}), kept {}, created {}"
              + " ahead, deleted {} events of the default partition",
          r.droppedPartitions(),
          r.droppedEvents(),
          Settings.format(config.retention()),
          r.keptPartitions(),
          r.createdPartitions(),
          r.deletedDefaultEvents());
    }
  }

  /** Fails the pending events of every type without a handler here, with the reason. */
  void failUnhandledTypes() {
    try (Connection c = dataSource.getConnection()) {
      for (String type : Transactions.commit(c, maintenance::pendingTypes)) {
        if (handlers.forType(type) != null) {
          continue;
        }
        String error = "no handler for event type '" + type + "' (UNHANDLED_EVENT_TYPES=fail)";
        long failed = 0;
        int step;
        do {
          step = Transactions.commit(c, t -> maintenance.failPendingOfType(t, type, error, STEP));
          failed += step;
        } while (step == STEP);
        if (failed > 0) {
          metrics.failed(UNHANDLED, failed);
          log.warn("failed {} events of type '{}': no handler for it", failed, type);
        }
      }
    } catch (SQLException | RuntimeException e) {
      log.warn("could not fail events of unhandled types, trying again: {}", e.toString());
    }
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
