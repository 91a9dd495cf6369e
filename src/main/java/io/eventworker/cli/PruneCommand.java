package io.eventworker.cli;

import io.eventworker.config.Settings;
import io.eventworker.db.ConnectionPool;
import io.eventworker.queue.EventPartitions;
import io.eventworker.queue.EventPruner;
import io.eventworker.queue.InvalidInputException;
import io.eventworker.queue.PartitionRetention;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code event-worker prune}: deletes old processed events. */
@Command(
    name = "prune",
    mixinStandardHelpOptions = true,
    description = {
      "Deletes events processed longer ago than --older-than.",
      "It deletes a thousand per transaction, so that running workers are not held up. Pending"
          + " and failed events are never deleted. `run` does the same every 10 minutes when"
          + " RETENTION is set. Prints how many it deleted.",
      "On a partitioned events table (migrate --partition-events) it drops each partition whose"
          + " events were all processed before then, keeps those with pending or failed events,"
          + " and creates the partitions ahead."
    })
final class PruneCommand implements Callable<Integer> {

  // Dropping a partition locks events whole for a moment; while the lock is waited for, producers
  // and workers queue behind it, so the wait is short, and a partition not had is dropped next
  // time.
  static final Duration LOCK_TIMEOUT = Duration.ofSeconds(1);

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--older-than",
      required = true,
      paramLabel = "AGE",
      description =
          "how long ago an event must have been processed to go, such as 7d or 12h (at least 1h)")
  String olderThan;

  @Override
  public Integer call() throws SQLException, InvalidInputException, InterruptedException {
    Duration age = Settings.parseDuration(olderThan);
    if (age == null || age.compareTo(Duration.ofHours(1)) < 0) {
      throw new InvalidInputException(
          "prune: --older-than="
              + olderThan
              + ": expected a duration of at least 1h, such as 12h or 7d");
    }
    long deleted;
    try (Connection c = ConnectionPool.openDedicated(main.config(), ConnectionPool.Use.COMMAND)) {
      if (new EventPartitions().isPartitioned(c)) {
        report(new PartitionRetention().prune(c, age, LOCK_TIMEOUT), age);
        return 0;
      }
      deleted = new EventPruner().prune(c, age);
    }
    spec.commandLine()
        .getOut()
        .printf(
            "deleted %d processed event%s older than %s%n",
            deleted, deleted == 1 ? "" : "s", Settings.format(age));
    return 0;
  }

  private void report(PartitionRetention.Result r, Duration age) {
    spec.commandLine()
        .getOut()
        .printf(
            "dropped %d partition%s (%d processed events older than %s), kept %d that still hold"
                + " pending, failed or recent events, created %d ahead; deleted %d processed"
                + " event%s of the default partition%n",
            r.droppedPartitions(),
            r.droppedPartitions() == 1 ? "" : "s",
            r.droppedEvents(),
            Settings.format(age),
            r.keptPartitions(),
            r.createdPartitions(),
            r.deletedDefaultEvents(),
            r.deletedDefaultEvents() == 1 ? "" : "s");
  }
}
