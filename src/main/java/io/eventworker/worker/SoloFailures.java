package io.eventworker.worker;

import io.eventworker.db.DatabaseErrors;
import io.eventworker.db.Transactions;
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
 * Fails single events, each in a transaction of its own, where what went wrong cannot be pinned on
 * one event inside its batch: the database refused the whole batch at commit, or PostgreSQL could
 * not render one of the batch's payloads as text (which, when it ran out of time or memory rather
 * than past the 1 GB limit, counts as an attempt, retried like a handler error).
 */
final class SoloFailures {

  private final DataSource dataSource;
  private final EventRepository repository;
  private final long payloadBytes;
  private final Attempts attempts;
  private final WorkerMetrics metrics;
  private final FailureLog failureLog;

  SoloFailures(
      DataSource dataSource,
      EventRepository repository,
      long payloadBytes,
      Attempts attempts,
      WorkerMetrics metrics,
      FailureLog failureLog) {
    this.dataSource = dataSource;
    this.repository = repository;
    this.payloadBytes = payloadBytes;
    this.attempts = attempts;
    this.metrics = metrics;
    this.failureLog = failureLog;
  }

  /**
   * Fails event {@code id}, alone in its batch when the database refused that batch at commit with
   * {@code cause}, if it is still pending. Returns how many failed: 1, or 0 if another worker holds
   * it or it is done.
   */
  int failRefused(long id, SQLException cause) throws SQLException {
    try (Connection c = dataSource.getConnection()) {
      try {
        EventRepository.Held held = repository.holdPending(c, id);
        if (held == null) {
          c.rollback();
          return 0;
        }
        failHeld(c, id, held.type(), "rejected by the database: " + DatabaseErrors.describe(cause));
        return 1;
      } catch (SQLException | RuntimeException e) {
        Transactions.rollbackQuietly(c, e);
        throw e;
      }
    }
  }

  /**
   * After PostgreSQL could not read one of a batch's payloads (the transaction was aborted): reads
   * each of them alone, holding its row. One whose text would pass the server's 1 GB limit fails,
   * with the reason; one that cannot be read alone in DB_STATEMENT_TIMEOUT or the server's memory
   * has an attempt counted, and waits its backoff or, at MAX_ATTEMPTS, fails. The others stay
   * pending, for the next batch. Returns how many failed.
   */
  int failUnrenderable(UnrenderablePayloadException batch) throws SQLException {
    int failed = 0;
    for (long id : batch.eventIds()) {
      try (Connection c = dataSource.getConnection()) {
        try {
          failed += settleIfUnrenderable(c, id);
        } catch (SQLException e) {
          // Not this one's doing, as far as can be told: it stays pending.
          Transactions.rollbackQuietly(c, e);
        }
      }
    }
    return failed;
  }

  /**
   * Reads event {@code id}'s payload alone and, if it cannot be, says so on the event; 1 if it
   * failed.
   */
  private int settleIfUnrenderable(Connection c, long id) throws SQLException {
    EventRepository.Held held = repository.holdPending(c, id);
    if (held == null) {
      c.rollback();
      return 0;
    }
    Savepoint beforeReading = c.setSavepoint();
    try {
      repository.claimIds(c, List.of(id), new PayloadBudget(payloadBytes));
      c.rollback();
      return 0;
    } catch (UnrenderablePayloadException alone) {
      c.rollback(beforeReading);
      String reason = DatabaseErrors.describe((SQLException) alone.getCause());
      if (alone.tooLarge()) {
        failHeld(
            c,
            id,
            held.type(),
            "payload cannot be read: as JSON text it would pass PostgreSQL's 1 GB limit ("
                + reason
                + ")");
        return 1;
      }
      // Alone, and still too slow or too large for the server's memory: most likely the payload,
      // though a loaded server may be the cause, so an attempt rather than a failure.
      int attempt = held.attempts() + 1;
      Failure next =
          attempts.after(
              id,
              attempt,
              "payload could not be read in DB_STATEMENT_TIMEOUT or the server's memory ("
                  + reason
                  + ")");
      settleHeld(c, held.type(), attempt, next);
      return next.retryDelayMillis() < 0 ? 1 : 0;
    }
  }

  /** Fails event {@code id}, which this transaction holds, with {@code error}, and commits. */
  private void failHeld(Connection c, long id, String type, String error) throws SQLException {
    settleHeld(c, type, 0, new Failure(id, error, -1));
  }

  /**
   * Records the {@code failure} of attempt {@code attempt} of a held event (retried or failed), and
   * commits.
   */
  private void settleHeld(Connection c, String type, int attempt, Failure failure)
      throws SQLException {
    repository.complete(c, List.of(), List.of(), List.of(failure));
    c.commit();
    if (failure.retryDelayMillis() < 0) {
      metrics.failed(type, 1);
      failureLog.failed(failure.eventId(), type, failure.error());
    } else {
      metrics.retried(type);
      failureLog.retried(
          failure.eventId(),
          type,
          attempt,
          attempts.max(),
          failure.retryDelayMillis(),
          failure.error());
    }
  }
}
