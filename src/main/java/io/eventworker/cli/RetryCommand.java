package io.eventworker.cli;

import io.eventworker.config.Settings;
import io.eventworker.db.ConnectionPool;
import io.eventworker.queue.EventMaintenance;
import io.eventworker.queue.InvalidInputException;
import io.eventworker.queue.PointInTime;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code event-worker retry}: failed events back to pending. */
@Command(
    name = "retry",
    mixinStandardHelpOptions = true,
    description = {
      "Moves failed events back to pending, with their attempts reset.",
      "The workers then try them again; their last_error stays as the record of what went"
          + " wrong. Choose them with --id, --type, --since (which combine: an event must match all"
          + " of them) or --all. It takes the events there are when it starts, each once, in steps"
          + " of 10,000, and prints how many it moved."
    })
final class RetryCommand implements Callable<Integer> {

  private static final int STEP = 10_000;

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--id",
      split = ",",
      paramLabel = "ID",
      description = "event ids (repeat, or separate with commas)")
  List<Long> ids;

  @Option(names = "--type", paramLabel = "TYPE", description = "only events of this event_type")
  String type;

  @Option(
      names = "--since",
      paramLabel = "WHEN",
      description =
          "only events that failed since then: a duration back from now (30m, 2h, 7d), a date"
              + " (2026-11-24) or a time (2026-11-24T05:00)")
  String since;

  @Option(names = "--all", description = "every failed event")
  boolean all;

  @Override
  public Integer call() throws SQLException, InvalidInputException {
    boolean filtered = ids != null || type != null || since != null;
    if (all == filtered) {
      throw new InvalidInputException(
          all
              ? "retry: --all takes no other option; choose --all, or --id, --type and --since"
              : "retry: choose which failed events: --id, --type, --since, or --all");
    }
    if (type != null && type.isBlank()) {
      throw new InvalidInputException("retry: --type must not be empty");
    }
    // Checked before connecting: a bad argument touches nothing.
    Duration back = since == null ? null : Settings.parseDuration(since);
    LocalDateTime at = since == null || back != null ? null : parseTime(since);
    EventMaintenance maintenance = new EventMaintenance();
    long moved = 0;
    try (Connection c = ConnectionPool.openDedicated(main.config(), ConnectionPool.Use.COMMAND)) {
      LocalDateTime failedSince = back != null ? maintenance.now(c).minus(back) : at;
      // The events there are now, walked by id: the walk ends, and counts each event once, even
      // while running workers fail the moved events again (a payload still bad fails at once).
      long upTo = maintenance.lastEventId(c);
      EventMaintenance.RetryStep step = new EventMaintenance.RetryStep(0, 0);
      do {
        step = maintenance.retryFailed(c, ids, type, failedSince, step.lastId(), upTo, STEP);
        moved += step.moved();
      } while (step.lastId() < upTo);
      if (moved > 0) {
        maintenance.wakeWorkers(c);
      }
    }
    spec.commandLine()
        .getOut()
        .printf("moved %d failed event%s back to pending%n", moved, moved == 1 ? "" : "s");
    return 0;
  }

  /** A date, or a date and time, in DB_TIMEZONE. */
  private static LocalDateTime parseTime(String text) throws InvalidInputException {
    LocalDateTime time = PointInTime.parseLocal(text);
    if (time == null) {
      throw new InvalidInputException(
          "retry: --since="
              + text
              + ": expected a duration (30m, 2h, 7d), "
              + PointInTime.LOCAL_FORMS);
    }
    return time;
  }
}
