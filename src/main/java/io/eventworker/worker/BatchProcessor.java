package io.eventworker.worker;

import io.eventworker.db.TransientErrors;
import io.eventworker.handler.Event;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.Handlers;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.EventRepository.Failure;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch, one transaction: claim pending events with SKIP LOCKED, run their handlers, write the
 * rows, mark each event processed, retried or failed, commit. A crash at any instant leaves every
 * event either processed with its rows, or pending with nothing written.
 */
final class BatchProcessor {

  private static final Logger log = LoggerFactory.getLogger(BatchProcessor.class);

  private final DataSource dataSource;
  private final EventRepository repository;
  private final Handlers handlers;
  private final String[] types;
  private final int batchSize;
  private final int maxAttempts;
  private final RetryBackoff backoff;
  private final WorkerMetrics metrics;
  private final Clock clock;

  BatchProcessor(
      DataSource dataSource,
      EventRepository repository,
      Handlers handlers,
      int batchSize,
      int maxAttempts,
      RetryBackoff backoff,
      WorkerMetrics metrics,
      Clock clock) {
    this.dataSource = dataSource;
    this.repository = repository;
    this.handlers = handlers;
    this.types = handlers.types();
    this.batchSize = batchSize;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
    this.metrics = metrics;
    this.clock = clock;
  }

  /** An attempt that did not succeed; a negative delay means the event is failed for good. */
  private record Outcome(Event event, String error, long retryDelayMillis) {}

  private record Result(List<Event> processed, List<Outcome> failures) {
    int size() {
      return processed.size() + failures.size();
    }
  }

  /** Processes one batch; returns how many events it claimed (0 when none was due). */
  int processBatch() throws SQLException {
    long started = System.nanoTime();
    Result result;
    try (Connection c = dataSource.getConnection()) {
      try {
        List<Event> events = repository.claim(c, types, batchSize);
        if (events.isEmpty()) {
          c.commit();
          return 0;
        }
        result = process(c, events);
        repository.markProcessed(c, result.processed().stream().map(Event::id).toList());
        repository.recordFailures(
            c,
            result.failures().stream()
                .map(f -> new Failure(f.event().id(), f.error(), f.retryDelayMillis()))
                .toList());
        c.commit();
      } catch (SQLException | RuntimeException | Error e) {
        rollbackQuietly(c, e);
        throw e;
      }
    }
    report(result, System.nanoTime() - started);
    return result.size();
  }

  private Result process(Connection c, List<Event> events) throws SQLException {
    BatchRows rows = new BatchRows();
    List<Outcome> failures = new ArrayList<>();
    for (Event event : events) {
      EventHandler handler = handlers.forType(event.type());
      long started = System.nanoTime();
      rows.begin();
      try {
        handler.handle(event, rows);
        rows.keep(event);
      } catch (InvalidEventException e) {
        rows.discard();
        failures.add(new Outcome(event, "invalid payload: " + e.getMessage(), -1));
      } catch (RuntimeException | StackOverflowError e) {
        rows.discard();
        failures.add(retryOrGiveUp(event, "handler error: " + e));
      }
      metrics.handlerRan(event.type(), System.nanoTime() - started);
    }
    List<Event> processed = rows.events();
    if (processed.isEmpty()) {
      return new Result(processed, failures);
    }
    Savepoint beforeRows = c.setSavepoint();
    try {
      rows.writeAll(c);
      return new Result(processed, failures);
    } catch (SQLException e) {
      if (TransientErrors.isTransient(e)) {
        throw e;
      }
      // Some event's rows were rejected (a foreign key, a number out of range...). Find which by
      // writing one event at a time; the others still succeed in this same transaction.
      c.rollback(beforeRows);
      log.debug("batch write rejected, isolating the event: {}", e.getMessage());
      return new Result(writeOneByOne(c, rows, processed, failures), failures);
    }
  }

  private List<Event> writeOneByOne(
      Connection c, BatchRows rows, List<Event> candidates, List<Outcome> failures)
      throws SQLException {
    List<Event> written = new ArrayList<>(candidates.size());
    for (Event event : candidates) {
      Savepoint savepoint = c.setSavepoint();
      try {
        rows.writeOne(c, event);
        c.releaseSavepoint(savepoint);
        written.add(event);
      } catch (SQLException e) {
        if (TransientErrors.isTransient(e)) {
          throw e;
        }
        c.rollback(savepoint);
        String error = "rejected by the database: " + describe(e);
        failures.add(
            TransientErrors.isCausedByData(e)
                ? new Outcome(event, error, -1)
                : retryOrGiveUp(event, error));
      }
    }
    return written;
  }

  private Outcome retryOrGiveUp(Event event, String error) {
    int attempt = event.attempts() + 1;
    if (attempt >= maxAttempts) {
      return new Outcome(event, "gave up after " + attempt + " attempts: " + error, -1);
    }
    return new Outcome(event, error, backoff.delayMillis(attempt));
  }

  private void report(Result result, long nanos) {
    Instant now = clock.instant();
    for (Event event : result.processed()) {
      metrics.processed(
          event.type(), event.createdAt() == null ? null : Duration.between(event.createdAt(), now));
    }
    for (Outcome f : result.failures()) {
      Event event = f.event();
      if (f.retryDelayMillis() < 0) {
        metrics.failed(event.type());
        log.warn("{} failed: {}", event, f.error());
      } else {
        metrics.retried(event.type());
        log.warn(
            "{} attempt {} of {} failed, next in {} ms: {}",
            event, event.attempts() + 1, maxAttempts, f.retryDelayMillis(), f.error());
      }
    }
    metrics.batchCompleted(result.size(), nanos);
  }

  /** The server's own words for an error, with its detail, without the driver's decoration. */
  static String describe(SQLException e) {
    if (e instanceof PSQLException p && p.getServerErrorMessage() != null) {
      ServerErrorMessage m = p.getServerErrorMessage();
      String detail = m.getDetail();
      return m.getMessage() + (detail == null ? "" : " (" + detail + ")") + " [" + m.getSQLState() + "]";
    }
    return e.getMessage() + " [" + e.getSQLState() + "]";
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
