package io.eventworker.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.DatabaseUrl;
import io.eventworker.config.WorkerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.postgresql.ds.PGSimpleDataSource;

/** Builds the HikariCP pool and the single unpooled connections the worker needs. */
public final class ConnectionPool {

  /** Who the connections are for: the long-running daemon or a one-shot command. */
  public enum Use {
    /**
     * {@code run}: starts while the database is down; every wait is bounded on both ends of the
     * socket, so that a dead peer frees its locks and its thread.
     */
    DAEMON,
    /** {@code migrate}, {@code enqueue}, {@code status}: fail fast, but let a long COPY finish. */
    COMMAND
  }

  private ConnectionPool() {}

  /**
   * A pool with the original description's settings. Connections start with auto-commit off: every
   * unit of work is an explicit transaction.
   */
  public static HikariDataSource create(WorkerConfig config, MeterRegistry registry, Use use) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("event-worker");
    hikari.setDataSource(new SessionDataSource(config, use));
    hikari.setMaximumPoolSize(config.poolSize());
    // Keep a warm connection for every worker thread and the health check; only the surplus
    // above that is closed after the idle timeout.
    hikari.setMinimumIdle(Math.min(config.poolSize(), config.workerThreads() + 1));
    hikari.setIdleTimeout(config.poolIdleTimeout().toMillis());
    hikari.setConnectionTimeout(connectTimeout(config).toMillis());
    hikari.setValidationTimeout(Math.min(1000, config.connectTimeout().toMillis()));
    hikari.setAutoCommit(false);
    hikari.setInitializationFailTimeout(use == Use.DAEMON ? -1 : 1);
    if (registry != null) {
      hikari.setMetricRegistry(registry);
    }
    return new HikariDataSource(hikari);
  }

  /**
   * One auto-commit connection outside the pool: for LISTEN, whose session state a pool would
   * recycle, and for one-shot commands.
   */
  public static Connection openDedicated(WorkerConfig config, Use use) throws SQLException {
    return new SessionDataSource(config, use).getConnection();
  }

  /**
   * Every connection of the worker: the driver's settings for its use, and the session time zone.
   * The driver sends the JVM's zone as the session's; the original description's columns are
   * timestamps without time zone, so the session zone decides what CURRENT_TIMESTAMP writes and how
   * created_at is read. It is pinned to DB_TIMEZONE, whatever zone the JVM runs in.
   */
  private static final class SessionDataSource extends PGSimpleDataSource {
    private static final long serialVersionUID = 1L;
    private final String timeZone;

    SessionDataSource(WorkerConfig config, Use use) {
      DatabaseUrl db = config.database();
      setURL(db.jdbcUrl());
      if (db.user() != null) {
        setUser(db.user());
      }
      if (db.password() != null) {
        setPassword(db.password());
      }
      driverProperties(config, use)
          .forEach(
              (name, value) -> {
                try {
                  setProperty((String) name, (String) value);
                } catch (SQLException e) {
                  throw new IllegalStateException("driver property " + name, e);
                }
              });
      this.timeZone = config.dbTimeZone();
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      Connection c = super.getConnection(user, password);
      try (PreparedStatement ps = c.prepareStatement("SELECT set_config('TimeZone', ?, false)")) {
        ps.setString(1, timeZone);
        ps.executeQuery().close();
      } catch (SQLException e) {
        c.close();
        throw e;
      }
      return c;
    }
  }

  private static Properties driverProperties(WorkerConfig config, Use use) {
    Properties props = new Properties();
    props.setProperty("ApplicationName", "event-worker");
    props.setProperty("connectTimeout", Long.toString(seconds(config.connectTimeout())));
    props.setProperty("loginTimeout", Long.toString(seconds(connectTimeout(config))));
    props.setProperty("tcpKeepAlive", "true");
    if (use == Use.DAEMON) {
      // The client gives up on a silent socket after DB_SOCKET_TIMEOUT. The server must give up
      // first, or a statement blocked on a lock keeps running, holding its batch's row locks,
      // after the worker has moved on: statements end after DB_STATEMENT_TIMEOUT, a transaction
      // left idle (its worker gone) after DB_SOCKET_TIMEOUT, and the server probes a silent
      // client's socket instead of waiting for the operating system's two-hour keepalive.
      // A wait for a lock held elsewhere ends sooner, at half of DB_STATEMENT_TIMEOUT, with an
      // error of its own (55P03): the system's fault, charged to no event, where a statement
      // cancelled by the timeout is one that is slow, which can be an event's doing.
      props.setProperty("socketTimeout", Long.toString(seconds(config.socketTimeout())));
      props.setProperty(
          "options",
          "-c statement_timeout="
              + config.statementTimeout().toMillis()
              + " -c lock_timeout="
              + config.statementTimeout().toMillis() / 2
              + " -c idle_in_transaction_session_timeout="
              + config.socketTimeout().toMillis()
              + " -c client_connection_check_interval=5000 -c tcp_keepalives_idle=15 -c"
              + " tcp_keepalives_interval=5 -c tcp_keepalives_count=3");
    }
    return props;
  }

  /**
   * How long one new connection may take: DB_CONNECT_TIMEOUT for each host of the URL. The driver
   * tries the hosts in turn, each for up to DB_CONNECT_TIMEOUT, but the pool also sets the driver's
   * login timeout, which bounds the whole attempt; were it one host's timeout, a primary that went
   * silent (a machine gone, not a refused connection) would use it all up and the standby would
   * never be tried.
   */
  private static Duration connectTimeout(WorkerConfig config) {
    return config.connectTimeout().multipliedBy(config.database().hostCount());
  }

  private static long seconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000);
  }
}
