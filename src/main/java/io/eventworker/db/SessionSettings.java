package io.eventworker.db;

import io.eventworker.config.WorkerConfig;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;

/**
 * The server settings a connection of the worker runs with, each sent as a bind parameter of one
 * statement: session-wide once after connecting, or, through transaction pooling, per transaction.
 * None goes in the startup packet's {@code options}, which PgBouncer refuses.
 *
 * <p>The time zone is always session-wide: PgBouncer tracks TimeZone per client and sets each
 * client's own on whichever server connection it is given, so it neither leaks nor is lost.
 */
final class SessionSettings {

  // The daemon on a direct connection: the timeouts, and probes of a silent client's socket,
  // which is the worker's own.
  private static final String DIRECT_DAEMON =
      """
      SELECT set_config('TimeZone', ?, false), set_config('statement_timeout', ?, false),
             set_config('lock_timeout', ?, false),
             set_config('idle_in_transaction_session_timeout', ?, false),
             set_config('client_connection_check_interval', '5000', false),
             set_config('tcp_keepalives_idle', '15', false),
             set_config('tcp_keepalives_interval', '5', false),
             set_config('tcp_keepalives_count', '3', false)
      """;
  // The daemon through session pooling: the server's client socket is PgBouncer's, whose own
  // keepalives (pgbouncer.ini) watch the worker's.
  private static final String SESSION_DAEMON =
      """
      SELECT set_config('TimeZone', ?, false), set_config('statement_timeout', ?, false),
             set_config('lock_timeout', ?, false),
             set_config('idle_in_transaction_session_timeout', ?, false)
      """;
  private static final String TIME_ZONE_ONLY = "SELECT set_config('TimeZone', ?, false)";
  // Through transaction pooling, at the start of each transaction: they end with it.
  private static final String TRANSACTION_TIMEOUTS =
      """
      SELECT set_config('statement_timeout', ?, true), set_config('lock_timeout', ?, true),
             set_config('idle_in_transaction_session_timeout', ?, true)
      """;

  private final String timeZone;
  private final String[] timeouts;
  private final String onConnect;
  private final boolean timeoutsOnConnect;
  private final boolean perTransaction;

  private SessionSettings(
      String timeZone, String[] timeouts, String onConnect, boolean perTransaction) {
    this.timeZone = timeZone;
    this.timeouts = timeouts;
    this.onConnect = onConnect;
    this.timeoutsOnConnect = !onConnect.equals(TIME_ZONE_ONLY);
    this.perTransaction = perTransaction;
  }

  /**
   * The daemon's: the server must give up before the client's DB_SOCKET_TIMEOUT does, or a
   * statement blocked on a lock keeps its batch's row locks after the worker has moved on.
   * Statements end after DB_STATEMENT_TIMEOUT, a transaction left idle (its worker gone) after
   * DB_SOCKET_TIMEOUT. A wait for a lock held elsewhere ends sooner, at half, with an error of its
   * own (55P03): the system's fault, charged to no event, where a statement cancelled by the
   * timeout is one that is slow, which can be an event's doing. The one-shot commands set only the
   * time zone.
   */
  static SessionSettings of(WorkerConfig config, ConnectionPool.Use use) {
    String[] timeouts = {
      Long.toString(config.statementTimeout().toMillis()),
      Long.toString(config.statementTimeout().toMillis() / 2),
      Long.toString(config.socketTimeout().toMillis())
    };
    if (use == ConnectionPool.Use.COMMAND) {
      return new SessionSettings(config.dbTimeZone(), new String[0], TIME_ZONE_ONLY, false);
    }
    return switch (config.pooler()) {
      case NONE -> new SessionSettings(config.dbTimeZone(), timeouts, DIRECT_DAEMON, false);
      case SESSION -> new SessionSettings(config.dbTimeZone(), timeouts, SESSION_DAEMON, false);
      case TRANSACTION -> new SessionSettings(config.dbTimeZone(), timeouts, TIME_ZONE_ONLY, true);
    };
  }

  /** Whether every transaction must begin with {@link #beginTransaction}. */
  boolean perTransaction() {
    return perTransaction;
  }

  /** Right after connecting: the settings that hold for the whole session, in one round trip. */
  void afterConnect(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(onConnect)) {
      ps.setString(1, timeZone);
      if (timeoutsOnConnect) {
        for (int i = 0; i < timeouts.length; i++) {
          ps.setString(i + 2, timeouts[i]);
        }
      }
      ps.executeQuery().close();
    }
  }

  /** First in a transaction through transaction pooling: the timeouts, for it alone. */
  void beginTransaction(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(TRANSACTION_TIMEOUTS)) {
      for (int i = 0; i < timeouts.length; i++) {
        ps.setString(i + 1, timeouts[i]);
      }
      ps.executeQuery().close();
    }
  }
}
