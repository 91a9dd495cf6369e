package io.eventworker.db;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.DatabaseUrl;
import io.eventworker.config.WorkerConfig;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/** Builds the HikariCP pool and the single unpooled connections the worker needs. */
public final class ConnectionPool {

  private ConnectionPool() {}

  /**
   * A pool with the seed's settings. Connections start with auto-commit off: every unit of work is
   * an explicit transaction.
   *
   * @param waitForDatabase true for the daemon, which must start (and report not-ready) while the
   *     database is still down; false for one-shot commands, which should fail at once.
   */
  public static HikariDataSource create(
      WorkerConfig config, MeterRegistry registry, boolean waitForDatabase) {
    HikariConfig hikari = new HikariConfig();
    hikari.setPoolName("event-worker");
    hikari.setJdbcUrl(config.database().jdbcUrl());
    hikari.setUsername(config.database().user());
    hikari.setPassword(config.database().password());
    hikari.setMaximumPoolSize(config.poolSize());
    // Keep a warm connection for every worker thread and the health check; only the surplus
    // above that is closed after the idle timeout.
    hikari.setMinimumIdle(Math.min(config.poolSize(), config.workerThreads() + 1));
    hikari.setIdleTimeout(config.poolIdleTimeout().toMillis());
    hikari.setConnectionTimeout(config.connectTimeout().toMillis());
    hikari.setValidationTimeout(Math.min(1000, config.connectTimeout().toMillis()));
    hikari.setAutoCommit(false);
    hikari.setInitializationFailTimeout(waitForDatabase ? -1 : 1);
    hikari.setDataSourceProperties(driverProperties(config));
    if (registry != null) {
      hikari.setMetricRegistry(registry);
    }
    return new HikariDataSource(hikari);
  }

  /** One connection outside the pool, for LISTEN, whose session state a pool would recycle. */
  public static Connection openDedicated(WorkerConfig config) throws SQLException {
    Properties props = driverProperties(config);
    DatabaseUrl db = config.database();
    if (db.user() != null) {
      props.setProperty("user", db.user());
    }
    if (db.password() != null) {
      props.setProperty("password", db.password());
    }
    return DriverManager.getConnection(db.jdbcUrl(), props);
  }

  private static Properties driverProperties(WorkerConfig config) {
    Properties props = new Properties();
    props.setProperty("ApplicationName", "event-worker");
    props.setProperty("connectTimeout", Long.toString(seconds(config.connectTimeout())));
    props.setProperty("loginTimeout", Long.toString(seconds(config.connectTimeout())));
    // A peer that vanishes without a FIN must not hang a thread forever.
    props.setProperty("socketTimeout", Long.toString(seconds(config.socketTimeout())));
    props.setProperty("tcpKeepAlive", "true");
    return props;
  }

  private static long seconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000);
  }
}
