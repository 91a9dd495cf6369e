package io.eventworker.db;

import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;

/**
 * Runs a unit of work as one transaction on a connection whose auto-commit is off (the pool's):
 * committed when the work returns, rolled back when it throws, so that no failure leaves a
 * transaction open on a connection going back to the pool.
 */
public final class Transactions {

  /** Work on an open transaction. */
  @FunctionalInterface
  public interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private Transactions() {}

  /** Runs {@code work} on a connection of {@code dataSource} and commits it. */
  public static <T> T commit(DataSource dataSource, Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      return commit(c, work);
    }
  }

  /** Runs {@code work} on {@code c} and commits it; rolls back and rethrows on any failure. */
  public static <T> T commit(Connection c, Work<T> work) throws SQLException {
    try {
      T result = work.run(c);
      c.commit();
      return result;
    } catch (SQLException | RuntimeException | Error e) {
      rollbackQuietly(c, e);
      throw e;
    }
  }

  /**
   * Runs {@code work}, which only reads, on a connection of {@code dataSource}, then rolls back.
   */
  public static <T> T read(DataSource dataSource, Work<T> work) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      try {
        return work.run(c);
      } finally {
        c.rollback();
      }
    }
  }

  /** Rolls back, adding a failure to roll back to {@code cause} rather than hiding it. */
  public static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
