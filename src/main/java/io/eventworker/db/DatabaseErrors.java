package io.eventworker.db;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * What a database error means: whether it goes away by itself (lost connection, server restarting,
 * serialization failure, deadlock) or needs a person, whether the data written caused it, and how
 * to say it in one line.
 */
public final class DatabaseErrors {

  // 57P01 admin_shutdown (also pg_terminate_backend), 57P02 crash_shutdown, 57P03
  // cannot_connect_now, 40001 serialization_failure, 40P01 deadlock_detected, 53300
  // too_many_connections. Class 08 (connection exception) is matched as a whole.
  private static final Set<String> TRANSIENT_STATES =
      Set.of("57P01", "57P02", "57P03", "40001", "40P01", "53300");
  // Errors no retry can fix, however they are wrapped (the pool reports every failed connection
  // attempt as a transient connection exception): wrong password or role (class 28), no such
  // database (3D000), no permission to connect (42501).
  private static final Set<String> PERMANENT_STATES = Set.of("3D000", "42501");
  private static final String PROGRAM_LIMIT_EXCEEDED = "54000";
  private static final String QUERY_CANCELED = "57014";

  private DatabaseErrors() {}

  /** True if retrying the same work later can succeed without anyone changing anything. */
  public static boolean isTransient(Throwable error) {
    boolean transientSeen = false;
    for (Throwable t = error; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("28") || PERMANENT_STATES.contains(state))) {
          return false;
        }
        if (state != null && (state.startsWith("08") || TRANSIENT_STATES.contains(state))) {
          transientSeen = true;
        }
      }
      if (t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException) {
        transientSeen = true;
      }
    }
    return transientSeen;
  }

  /**
   * True for errors caused by the data written (class 22 data exception, class 23 integrity
   * violation, and 54000 program_limit_exceeded: a value over one of the server's own limits, such
   * as an index entry over 2.7 kB or a row too wide for a page): the same event fails the same way
   * every time.
   */
  public static boolean isCausedByData(SQLException error) {
    String state = error.getSQLState();
    return state != null
        && (state.startsWith("22")
            || state.startsWith("23")
            || state.equals(PROGRAM_LIMIT_EXCEEDED));
  }

  /**
   * True if the server cancelled the statement: DB_STATEMENT_TIMEOUT ran out (or someone called
   * pg_cancel_backend). Slow rows, a slow trigger, a lock held elsewhere or a busy server: the
   * error alone does not say which.
   */
  public static boolean isStatementCancelled(SQLException error) {
    return QUERY_CANCELED.equals(error.getSQLState());
  }

  /** The server's own words for an error, with its detail, without the driver's decoration. */
  public static String describe(SQLException e) {
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      ServerErrorMessage m = p.getServerErrorMessage();
      String detail = m.getDetail();
      return m.getMessage()
          + (detail == null ? "" : " (" + detail + ")")
          + " ["
          + m.getSQLState()
          + "]";
    }
    return e.getMessage() + " [" + e.getSQLState() + "]";
  }

  /**
   * The innermost SQL error in {@code e}'s causes, or null: the server's own error, not the pool's
   * or Flyway's wrapper around it.
   */
  public static SQLException innermostSqlError(Throwable e) {
    SQLException found = null;
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof SQLException sql) {
        found = sql;
      }
    }
    return found;
  }

  /**
   * What to check for an error that needs a person, or an empty string: a login refused (class 28),
   * or no such database (3D000).
   */
  public static String remedy(SQLException e) {
    String state = e.getSQLState();
    if (state != null && state.startsWith("28")) {
      return ": check the user and password in DATABASE_URL, or DATABASE_PASSWORD";
    }
    return "3D000".equals(state) ? ": check the database name in DATABASE_URL" : "";
  }

  /**
   * Why a connection failed, in words that name what to check: the unknown host's name, or the
   * innermost cause's message ("Connection refused").
   */
  public static String reason(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (t instanceof java.net.UnknownHostException) {
        return "unknown host " + t.getMessage();
      }
    }
    return rootMessage(e);
  }

  /** The message of the innermost cause: "Connection refused" rather than the pool's wrapper. */
  public static String rootMessage(Throwable e) {
    Throwable root = e;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    return root.getMessage() == null ? root.toString() : root.getMessage();
  }
}
