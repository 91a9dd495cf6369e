package io.eventworker.metrics;

import io.eventworker.db.DatabaseErrors;
import java.sql.Connection;
import java.util.function.Supplier;
import javax.sql.DataSource;

/**
 * Whether the worker can do its work: its loop runs and its database answers. The database's answer
 * is kept for a second, so that health probes and metric scrapes together cost at most one query a
 * second; the loop's state is read every time, so that a replica is ready the moment it runs.
 */
public final class ReadinessCheck implements Supplier<String> {

  private static final long MAX_AGE_NANOS = 1_000_000_000L;

  private final DataSource dataSource;
  private final Supplier<String> workerState;
  private String databaseAnswer;
  private long answeredAt;
  private boolean answered;

  /**
   * @param workerState null while the worker loop runs, otherwise why it does not ("starting",
   *     "shutting down")
   */
  public ReadinessCheck(DataSource dataSource, Supplier<String> workerState) {
    this.dataSource = dataSource;
    this.workerState = workerState;
  }

  /** Null when ready, otherwise the reason it is not. */
  // The database comes first: while the worker waits for it to start, the database is the reason
  // it is not ready, and the one an operator has to act on.
  @Override
  public String get() {
    String database = cachedDatabaseProblem();
    return database != null ? database : workerState.get();
  }

  private synchronized String cachedDatabaseProblem() {
    long now = System.nanoTime();
    if (!answered || now - answeredAt > MAX_AGE_NANOS) {
      databaseAnswer = databaseProblem();
      answeredAt = System.nanoTime();
      answered = true;
    }
    return databaseAnswer;
  }

  private String databaseProblem() {
    try (Connection c = dataSource.getConnection()) {
      return c.isValid(1) ? null : "database did not answer within 1 s";
    } catch (Exception e) {
      return "database: " + DatabaseErrors.reason(e);
    }
  }
}
