package io.eventworker.worker;

import io.eventworker.db.DatabaseErrors;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.EventRepository.Failure;
import io.eventworker.queue.PayloadBudget;
import io.eventworker.queue.UnrenderablePayloadException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.List;
import javax.sql.DataSource;

/**
 * Fails single events, each in a transaction of its own, where what went wrong cannot be pinned
 * on one event inside its batch: the database refused the whole batch at commit, or PostgreSQL
 * could not render one of the batch's payloads as text.
 */
final class SoloFailures {

  private final DataSource dataSource;
  private final EventRepository repository;
  private final long payloadBytes;
  private final WorkerMetrics metrics;
  private final FailureLog failureLog;

  SoloFailures(
      DataSource dataSource, EventRepository repository, long payloadBytes, WorkerMetrics metrics,
      FailureLog failureLog) {
    this.dataSource = dataSource;
    this.repository = repository;
    this.payloadBytes = payloadBytes;
    this.metrics = metrics;
    this.failureLog = failureLog;
  }

  /**
   * Fails event {@code id}, alone in its batch when the database refused that batch at commit
   * with {@code cause}, if it is still pending. Returns how many failed: 1, or 0 if another
   * worker holds it or it is done.
   */
  int failRefused(long id, SQLException cause) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      try {
        String type = repository.holdPending(c, id);
        if (type == null) {
          c.rollback();
          return 0;
        }
        failHeld(c, id, type, "rejected by the database: " + DatabaseErrors.describe(cause));
        metrics.failed(type, 1);
        return 1;
      } catch (SQLException | RuntimeException e) {
        BatchProcessor.rollbackQuietly(c, e);
        throw e;
      }
    }
  }

  /**
   * After PostgreSQL could not read one of a batch's payloads (the transaction was aborted):
   * reads each of them alone, holding its row, and fails one whose text would pass the server's
   * 1 GB limit, with the reason, without reading it. The others stay pending, for the next batch.
   * Returns how many failed.
   */
  int failUnrenderable(UnrenderablePayloadException batch) throws SQLException {
    int failed = 0;
    for (long id : batch.eventIds()) {
      try (Connection c = dataSource.getConnection()) {
        try {
          String type = failIfUnrenderable(c, id);
          if (type != null) {
            failed++;
            metrics.failed(type, 1);
          }
        } catch (SQLException e) {
          // Not this one's doing, as far as can be told: it stays pending.
          BatchProcessor.rollbackQuietly(c, e);
        }
      }
    }
    return failed;
  }

  /** Fails event {@code id} if its payload alone cannot be rendered; returns its type if so. */
  private String failIfUnrenderable(Connection c, long id) throws SQLException {
    String type = repository.holdPending(c, id);
    if (type == null) {
      c.rollback();
      return null;
    }
    Savepoint beforeReading = c.setSavepoint();
    try {
      repository.claimIds(c, List.of(id), new PayloadBudget(payloadBytes));
      c.rollback();
      return null;
    } catch (UnrenderablePayloadException alone) {
      if (!alone.tooLarge()) {
        throw alone;
      }
      c.rollback(beforeReading);
      failHeld(c, id, type, "payload cannot be read: as JSON text it would pass PostgreSQL's 1 GB limit ("
          + DatabaseErrors.describe((SQLException) alone.getCause()) + ")");
      return type;
    }
  }

  /** Fails event {@code id}, which this transaction holds, with {@code error}, and commits. */
  private void failHeld(Connection c, long id, String type, String error) throws SQLException {
    repository.complete(c, List.of(), List.of(), List.of(new Failure(id, error, -1)));
    c.commit();
    failureLog.warn("event {} ({}) failed: {}", id, type, error);
  }
}
