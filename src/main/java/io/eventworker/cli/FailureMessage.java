package io.eventworker.cli;

import io.eventworker.config.ConfigException;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.DatabaseErrors;
import io.eventworker.queue.InvalidInputException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;

/**
 * The one line every command prints when it fails: the same error worded the same way whichever
 * command met it, and however the pool or Flyway wrapped it.
 */
final class FailureMessage {

  private FailureMessage() {}

  /** The line for {@code e}; {@code config} names the database's host when known (may be null). */
  static String of(Exception e, WorkerConfig config) {
    if (e instanceof ConfigException) {
      return "configuration error: " + e.getMessage();
    }
    if (e instanceof InvalidInputException) {
      return e.getMessage();
    }
    SQLException server = DatabaseErrors.innermostSqlError(e);
    if (server != null && isConnectFailure(e, server)) {
      String where = config == null ? "the database" : config.database().hostAndPort();
      return "database error: cannot connect to "
          + where
          + ": "
          + DatabaseErrors.reason(e)
          + ": check the host and port in DATABASE_URL, and that PostgreSQL is running there";
    }
    if (server != null && !DatabaseErrors.remedy(server).isEmpty()) {
      return "database error: " + DatabaseErrors.describe(server) + DatabaseErrors.remedy(server);
    }
    // A plain SQLException is one the worker raised in its own words (naming a file's line); the
    // driver's, the pool's and Flyway's are told in the server's words, on one line.
    if (e.getClass() == SQLException.class) {
      SQLException own = (SQLException) e;
      return "database error: "
          + own.getMessage()
          + (own.getSQLState() == null ? "" : " [" + own.getSQLState() + "]");
    }
    if (server != null) {
      return "database error: " + DatabaseErrors.describe(server) + schemaHint(server);
    }
    return e.getCause() == null
        ? e.toString()
        : e.getMessage() + " (" + DatabaseErrors.rootMessage(e) + ")";
  }

  /**
   * A missing table or column, on a database where the commands expect the worker's schema: most
   * likely one that was never migrated, which is what {@code run} says too.
   */
  private static String schemaHint(SQLException server) {
    String state = server.getSQLState();
    return "42P01".equals(state) || "42703".equals(state)
        ? ": is the schema migrated? run `event-worker migrate` first"
        : "";
  }

  /** True when no connection could be opened, rather than an error on an open one. */
  private static boolean isConnectFailure(Exception e, SQLException server) {
    String state = server.getSQLState();
    return "08001".equals(state) || (state == null && e instanceof SQLTransientConnectionException);
  }
}
