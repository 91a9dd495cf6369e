package io.eventworker.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.DatabaseUrl;
import io.eventworker.config.Pooler;
import io.eventworker.config.WorkerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
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
    SessionSettings settings = SessionSettings.of(config, use);
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("event-worker");
    hikari.setDataSource(new SessionDataSource(config, use, settings));
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
    return settings.perTransaction()
        ? new PerTransactionPool(hikari, settings)
        : new HikariDataSource(hikari);
  }

  /**
   * One auto-commit connection outside the pool: for LISTEN, whose session state a pool would
   * recycle, and for one-shot commands.
   */
  public static Connection openDedicated(WorkerConfig config, Use use) throws SQLException {
    return new SessionDataSource(config, use, SessionSettings.of(config, use)).getConnection();
  }

  /**
   * Every connection of the worker: the driver's settings for its use, then the session settings.
   * The driver sends the JVM's zone as the session's; the original description's columns are
   * timestamps without time zone, so the session zone decides what CURRENT_TIMESTAMP writes and how
   * created_at is read. It is pinned to DB_TIMEZONE, whatever zone the JVM runs in.
   */
  private static final class SessionDataSource extends PGSimpleDataSource {
    private static final long serialVersionUID = 1L;
    private final transient SessionSettings settings;

    SessionDataSource(WorkerConfig config, Use use, SessionSettings settings) {
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
      this.settings = settings;
    }

    @Override
    public Connection getConnection(String user, String password) throws SQLException {
      Connection c = super.getConnection(user, password);
      try {
        settings.afterConnect(c);
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
    if (config.pooler() == Pooler.TRANSACTION) {
      // PgBouncer 1.18 cannot keep a named server-side prepared statement for the client that
      // made it: the next transaction may run on another server connection, which lacks it.
      props.setProperty("prepareThreshold", "0");
    }
    if (use == Use.DAEMON) {
      // The client gives up on a silent socket after DB_SOCKET_TIMEOUT. The server must give up
      // first, or a statement blocked on a lock keeps running, holding its batch's row locks,
      // after the worker has moved on (SessionSettings sets the server's side).
      props.setProperty("socketTimeout", Long.toString(seconds(config.socketTimeout())));
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
