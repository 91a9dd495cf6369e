package io.eventworker.cli;

import io.eventworker.config.Settings;
import io.eventworker.db.ConnectionPool;
import io.eventworker.queue.EventPruner;
import io.eventworker.queue.InvalidInputException;
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
          + " RETENTION is set. Prints how many it deleted."
    })
final class PruneCommand implements Callable<Integer> {

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
      deleted = new EventPruner().prune(c, age);
    }
    spec.commandLine()
        .getOut()
        .printf(
            "deleted %d processed event%s older than %s%n",
            deleted, deleted == 1 ? "" : "s", Settings.format(age));
    return 0;
  }
}
