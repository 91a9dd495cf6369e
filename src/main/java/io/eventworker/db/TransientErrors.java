package io.eventworker.db;

import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;

/**
 * Tells database errors that go away by themselves (lost connection, server restarting,
 * serialization failure, deadlock) from those that need a person, by SQLSTATE.
 */
public final class TransientErrors {

  // 57P01 admin_shutdown (also pg_terminate_backend), 57P02 crash_shutdown, 57P03
  // cannot_connect_now, 40001 serialization_failure, 40P01 deadlock_detected, 53300
  // too_many_connections. Class 08 (connection exception) is matched as a whole.
  private static final Set<String> TRANSIENT_STATES =
      Set.of("57P01", "57P02", "57P03", "40001", "40P01", "53300");

  private TransientErrors() {}

  /** True if retrying the same work later can succeed without anyone changing anything. */
  public static boolean isTransient(Throwable error) {
    for (Throwable t = error; t != null; t = t.getCause()) {
      if (t instanceof SQLTransientConnectionException || t instanceof SQLRecoverableException) {
        return true;
      }
      if (t instanceof SQLException sql) {
        String state = sql.getSQLState();
        if (state != null && (state.startsWith("08") || TRANSIENT_STATES.contains(state))) {
          return true;
        }
      }
      if (t.getCause() == t) {
        break;
      }
    }
    return false;
  }

  /**
   * True for errors caused by the data written (class 22 data exception, class 23 integrity
   * violation): the same event fails the same way every time.
   */
  public static boolean isCausedByData(SQLException error) {
    String state = error.getSQLState();
    return state != null && (state.startsWith("22") || state.startsWith("23"));
  }
}
