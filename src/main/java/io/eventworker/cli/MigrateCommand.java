package io.eventworker.cli;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.ConfigException;
import io.eventworker.config.Pooler;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.ConnectionPool;
import io.eventworker.db.Migrations;
import io.eventworker.queue.OrderedClaims;
import io.eventworker.worker.Handlers;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.Callable;
import org.flywaydb.core.api.output.MigrateResult;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
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
          + " index that ordered claims walk (docs/ORDERING.md)."
    })
final class MigrateCommand implements Callable<Integer> {

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Override
  public Integer call() throws SQLException {
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
}
