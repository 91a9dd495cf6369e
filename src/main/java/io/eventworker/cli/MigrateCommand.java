package io.eventworker.cli;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.ConfigException;
import io.eventworker.config.Pooler;
import io.eventworker.config.Settings;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.ConnectionPool;
import io.eventworker.db.Migrations;
import io.eventworker.queue.EventPartitions.Range;
import io.eventworker.queue.InvalidInputException;
import io.eventworker.queue.OrderedClaims;
import io.eventworker.queue.PartitionConversion;
import io.eventworker.worker.Handlers;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.flywaydb.core.api.output.MigrateResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code event-worker migrate}. */
@Command(
    name = "migrate",
    mixinStandardHelpOptions = true,
    description = {
      "Brings the database schema up to date.",
      "On an empty database it creates the original schema (database/init.sql) and then the"
          + " worker's migrations; on a database made by init.sql only the worker's migrations."
          + " Running it again changes nothing. With ORDERED_EVENT_TYPES set it also builds the"
          + " index that ordered claims walk (docs/ORDERING.md).",
      "With --partition-events, it then turns events into a table partitioned by created_at"
          + " (docs/PARTITIONING.md): one transaction that locks events for about the time of"
          + " reading it once."
    })
final class MigrateCommand implements Callable<Integer> {

  // The lock that the conversion waits for: while it waits, producers queue behind it.
  private static final Duration LOCK_TIMEOUT = Duration.ofSeconds(5);

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(
      names = "--partition-events",
      description =
          "then partition events by created_at (opt-in, once; nothing happens if it is already)")
  boolean partitionEvents;

  @Option(
      names = "--partition-interval",
      paramLabel = "INTERVAL",
      defaultValue = "1d",
      description =
          "with --partition-events: the time each partition covers, whole hours from 1h to 31d"
              + " (default: ${DEFAULT-VALUE})")
  String partitionInterval;

  @Override
  public Integer call() throws SQLException, InvalidInputException {
    Duration interval = partitionEvents ? interval() : null;
    WorkerConfig config = main.config();
    if (config.pooler() == Pooler.TRANSACTION) {
      // Flyway serialises migrate runs with a session-level advisory lock, which transaction
      // pooling would take on one server connection and try to release on another.
      throw new ConfigException(
          "DB_POOLER",
          "transaction",
          "migrate needs a session of its own: point DATABASE_URL at PostgreSQL itself or at a"
              + " session-mode pool, with DB_POOLER=none or session");
    }
    try (HikariDataSource dataSource =
        ConnectionPool.create(config, null, ConnectionPool.Use.COMMAND)) {
      MigrateResult result =
          new Migrations(dataSource, Handlers.discover().migrationLocations()).migrate();
      String version =
          result.targetSchemaVersion != null
              ? result.targetSchemaVersion
              : result.initialSchemaVersion;
      if (result.migrationsExecuted == 0) {
        spec.commandLine().getOut().printf("schema is up to date at version %s%n", version);
      } else {
        spec.commandLine()
            .getOut()
            .printf(
                "schema migrated from version %s to %s (%d migration%s applied)%n",
                result.initialSchemaVersion == null ? "none" : result.initialSchemaVersion,
                version,
                result.migrationsExecuted,
                result.migrationsExecuted == 1 ? "" : "s");
      }
      buildOrderedIndex(config);
      if (interval != null) {
        partition(dataSource, interval);
      }
      return 0;
    }
  }

  // Only a deployment that orders a type pays the index's cost on every producer INSERT.
  private void buildOrderedIndex(WorkerConfig config) throws SQLException {
    if (config.orderedEventTypes().isEmpty()) {
      return;
    }
    try (Connection c = ConnectionPool.openDedicated(config, ConnectionPool.Use.COMMAND)) {
      c.setAutoCommit(true);
      if (OrderedClaims.buildIndex(c)) {
        spec.commandLine()
            .getOut()
            .printf("built %s for ORDERED_EVENT_TYPES%n", OrderedClaims.INDEX);
      }
    }
  }

  private Duration interval() throws InvalidInputException {
    Duration d = Settings.parseDuration(partitionInterval);
    if (d == null
        || d.compareTo(Duration.ofHours(1)) < 0
        || d.compareTo(Duration.ofDays(31)) > 0
        || d.toSeconds() % 3600 != 0) {
      throw new InvalidInputException(
          "migrate: --partition-interval="
              + partitionInterval
              + ": expected whole hours from 1h to 31d, such as 1d or 6h");
    }
    return d;
  }

  private void partition(HikariDataSource dataSource, Duration interval)
      throws SQLException, InvalidInputException {
    List<Range> ranges;
    try (Connection c = dataSource.getConnection()) {
      ranges = new PartitionConversion().convert(c, interval, LOCK_TIMEOUT);
    }
    PrintWriter out = spec.commandLine().getOut();
    if (ranges.isEmpty()) {
      out.println("events is partitioned already");
      return;
    }
    out.printf(
        "events is now partitioned by created_at, %s per partition: %s%n",
        Settings.format(interval),
        ranges.stream().map(Range::name).collect(Collectors.joining(", ")));
  }
}
