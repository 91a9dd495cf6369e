package io.eventworker.worker;

import io.eventworker.db.Transactions;
import io.eventworker.runtime.FatalErrors;
import io.eventworker.runtime.Backoff;
import io.eventworker.db.DatabaseErrors;
import io.eventworker.handler.Event;
import io.eventworker.handler.Handlers;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.EventRepository.Failure;
import io.eventworker.queue.PayloadBudget;
import io.eventworker.queue.UnrenderablePayloadException;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch, one transaction: claim pending events with SKIP LOCKED, run their handlers, write the
 * rows, mark each event processed, retried or failed, commit. A crash at any instant leaves every
 * event either processed with its rows, or pending with nothing written.
 *
 * <p>Whose fault a failure is decides what happens. A handler that throws charges its event an
 * attempt. Rows the database rejects as data (SQLSTATE class 22 or 23, or 54000: a value over
 * one of the server's limits) fail their event alone. A write the server cancels
 * (DB_STATEMENT_TIMEOUT, or pg_cancel_backend) is done again one event at a time, and an event
 * whose own write is cancelled is charged an attempt: whoever cancels it, an event is charged
 * only what MAX_ATTEMPTS allows, and none waits forever. Any other database error is the
 * system's (a missing column, a revoked privilege, a claim that times out, a lock held
 * elsewhere): the batch rolls back untouched, no attempt is charged, and the loop waits before
 * trying again.
 */
final class BatchProcessor {

  private static final Logger log = LoggerFactory.getLogger(BatchProcessor.class);

  private final DataSource dataSource;
  private final EventRepository repository;
  private final Handlers handlers;
  private final int batchSize;
  private final long payloadBytes;
  private final Attempts attempts;
  private final WorkerMetrics metrics;
  private final Clock clock;
  private final BatchClaims claims;
  private final FailureLog failureLog = new FailureLog(log, System::nanoTime);
  private final SoloFailures soloFailures;

  BatchProcessor(
      DataSource dataSource,
      EventRepository repository,
      Handlers handlers,
      int batchSize,
      long payloadBytes,
      int maxAttempts,
      Backoff backoff,
      WorkerMetrics metrics,
      Clock clock) {
    this.dataSource = dataSource;
    this.repository = repository;
    this.handlers = handlers;
    this.batchSize = batchSize;
    this.payloadBytes = payloadBytes;
    this.attempts = new Attempts(maxAttempts, backoff);
    this.metrics = metrics;
    this.clock = clock;
    this.claims = new BatchClaims(repository, handlers.types(), batchSize);
    this.soloFailures = new SoloFailures(dataSource, repository, payloadBytes, attempts, metrics, failureLog);
  }

  /** An attempt that did not succeed; a negative delay means the event is failed for good. */
  private record Outcome(Event event, String error, long retryDelayMillis) {
    Failure failure() {
      return new Failure(event.id(), error, retryDelayMillis);
    }
  }

  private record Result(List<Event> processed, List<Outcome> failures) {
    int size() {
      return processed.size() + failures.size();
    }
  }

  /** How a transaction claims its events. */
  private interface Claim {
    List<Event> from(Connection c, PayloadBudget budget) throws SQLException;
  }

  /**
   * What one batch did: how many events it claimed; full when more may be due at once; how many
   * the thread's next batch should claim; and, after a claim from the cursor that came back short,
   * how soon a rescan may find what it passed over (0: no need to look again before the poll).
   */
  record Batch(int claimed, boolean full, int nextLimit, long recheckNanos) {}

  int batchSize() {
    return batchSize;
  }

  /**
   * Processes one batch of up to {@code limit} events; what it did says how many the thread's next
   * batch claims (see {@link BatchClaims.Round#committed}).
   */
  Batch processBatch(int limit) throws SQLException {
    PayloadBudget budget = new PayloadBudget(payloadBytes);
    BatchClaims.Round round = claims.round(limit);
    int done;
    try {
      done = process(round::claim, Write.AT_ONCE, budget);
    } catch (Throwable e) {
      round.rewind();
      throw e;
    }
    return round.committed(done, budget.spent());
  }

  /**
   * How a batch writes its rows: all in one statement; in halves behind savepoints, after the
   * database rejected the batch's rows as data, to find the events at fault; or one event at a
   * time, after the batch's write ran out of DB_STATEMENT_TIMEOUT, to find the one that is slow.
   */
  private enum Write { AT_ONCE, HALVING, ONE_BY_ONE }

  /** Claims, handles, writes and commits one batch, writing its rows as {@code write} says. */
  private int process(Claim claim, Write write, PayloadBudget budget) throws SQLException {
    long started = System.nanoTime();
    List<Event> events = List.of();
    Result result = null;
    SQLException rejected = null;
    SQLException cancelled = null;
    UnrenderablePayloadException unrenderable = null;
    try (Connection c = dataSource.getConnection()) {
      try {
        events = claim.from(c, budget);
        if (events.isEmpty()) {
          c.commit();
          return 0;
        }
        BatchRows rows = new BatchRows();
        List<Outcome> failures = new ArrayList<>();
        List<Event> handled = handle(events, rows, failures);
        result = switch (write) {
          // The fast path: one statement writes every row and completes the batch.
          case AT_ONCE -> new Result(handled, failures);
          case HALVING -> writeHalving(c, rows, handled, failures);
          case ONE_BY_ONE -> writeOneByOne(c, rows, handled, failures);
        };
        repository.complete(c, ids(result.processed()), write == Write.AT_ONCE ? rows.batches(handled) : List.of(),
            failures(failures));
        c.commit();
        if (result.size() < events.size()) {
          // The one-by-one pass stopped at a cancelled write: the events after it are pending
          // again, and the claim cursor has passed them.
          budget.refuse();
        }
      } catch (Throwable e) {
        Transactions.rollbackQuietly(c, e);
        if (e instanceof UnrenderablePayloadException u) {
          unrenderable = u;
          // Cut short by its payloads: the events it rolled back are due.
          budget.refuse();
        } else if (!(e instanceof SQLException sql) || events.isEmpty()) {
          throw e;
        } else if (DatabaseErrors.isCausedByData(sql)) {
          rejected = sql;
        } else if (DatabaseErrors.isStatementCancelled(sql) && write != Write.ONE_BY_ONE) {
          cancelled = sql;
        } else {
          throw e;
        }
      }
    }
    if (unrenderable != null) {
      return soloFailures.failUnrenderable(unrenderable);
    }
    if (rejected != null || cancelled != null) {
      // Handled here, once this connection is back in the pool, and by id: the batch's payloads
      // are let go before the events are read again.
      List<Long> ids = ids(events);
      events = null;
      if (cancelled != null) {
        log.warn("writing a batch of {} events was cancelled ({}); writing them one at a time",
            ids.size(), DatabaseErrors.describe(cancelled));
        return again(ids, Write.ONE_BY_ONE, budget);
      }
      if (write == Write.AT_ONCE) {
        return again(ids, Write.HALVING, budget);
      }
      // Every write passed on its own, so the data error came at commit (a deferred constraint):
      // no telling which event caused it.
      return ids.size() == 1 ? soloFailures.failRefused(ids.get(0), rejected) : oneByOne(ids, budget);
    }
    report(result, System.nanoTime() - started);
    return result.size();
  }

  /**
   * Claims the events {@code ids} again, in a transaction of their own, and writes their rows as
   * {@code write} says. A pass cut short (by its payloads, or by a cancelled write that left
   * events pending) cuts the batch's {@code budget} short too: the claim cursor has passed the
   * events it leaves.
   */
  private int again(List<Long> ids, Write write, PayloadBudget budget) throws SQLException {
    PayloadBudget fresh = new PayloadBudget(payloadBytes);
    int done = process((c, b) -> repository.claimIds(c, ids, b), write, fresh);
    if (fresh.spent()) {
      budget.refuse();
    }
    return done;
  }

  /** Writes the rows of {@code handled} in halves until the events the database rejects stand alone. */
  private Result writeHalving(Connection c, BatchRows rows, List<Event> handled, List<Outcome> failures)
      throws SQLException {
    List<Event> written = new ArrayList<>(handled);
    for (BatchRows.Refused r : rows.insertIsolating(c, handled)) {
      written.remove(r.event());
      failures.add(rejectedAsData(r));
    }
    return new Result(written, failures);
  }

  /**
   * Writes the rows of {@code handled} one event at a time; the event whose write the server
   * cancels is charged an attempt, and those after it stay pending for a later batch.
   */
  private Result writeOneByOne(Connection c, BatchRows rows, List<Event> handled, List<Outcome> failures)
      throws SQLException {
    BatchRows.OneByOne done = rows.insertOneByOne(c, handled);
    done.rejected().forEach(r -> failures.add(rejectedAsData(r)));
    if (done.cancelled() != null) {
      BatchRows.Refused slow = done.cancelled();
      failures.add(retryOrGiveUp(slow.event(), "its rows could not be written: " + DatabaseErrors.describe(slow.cause())));
    }
    return new Result(done.written(), failures);
  }

  private static Outcome rejectedAsData(BatchRows.Refused r) {
    return new Outcome(r.event(), "rejected by the database: " + DatabaseErrors.describe(r.cause()), -1);
  }

  /** Runs the handlers; returns the events that succeeded, adding the others to {@code failures}. */
  private List<Event> handle(List<Event> events, BatchRows rows, List<Outcome> failures) {
    for (Event event : events) {
      long started = System.nanoTime();
      rows.begin();
      // A handler's own log lines name the event too.
      try (EventContext context = EventContext.of(event.id(), event.type())) {
        handlers.forType(event.type()).handle(event, rows);
        rows.keep(event);
      } catch (InvalidEventException e) {
        rows.discard();
        failures.add(new Outcome(event, "invalid payload: " + e.getMessage(), -1));
      } catch (Throwable e) {
        // Whatever the handler throws is this event's doing, Errors included; only the JVM
        // itself failing (out of memory) is not.
        if (FatalErrors.isFatal(e)) {
          throw e;
        }
        rows.discard();
        failures.add(retryOrGiveUp(event, "handler error: " + e));
      } finally {
        event.dropPayload();
      }
      metrics.handlerRan(event.type(), System.nanoTime() - started);
    }
    return rows.events();
  }

  private static List<Long> ids(List<Event> events) {
    return events.stream().map(Event::id).toList();
  }

  private static List<Failure> failures(List<Outcome> outcomes) {
    return outcomes.stream().map(Outcome::failure).toList();
  }

  /** After a batch failed at commit: each event in a transaction of its own. */
  private int oneByOne(List<Long> ids, PayloadBudget budget) throws SQLException {
    log.warn("a batch of {} events was rejected at commit; processing them one by one", ids.size());
    int done = 0;
    for (long id : ids) {
      done += again(List.of(id), Write.HALVING, budget);
    }
    return done;
  }

  private Outcome retryOrGiveUp(Event event, String error) {
    Failure next = attempts.after(event.id(), event.attempts() + 1, error);
    return new Outcome(event, next.error(), next.retryDelayMillis());
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
        metrics.failed(event.type(), 1);
        failureLog.failed(event.id(), event.type(), f.error());
      } else {
        metrics.retried(event.type());
        failureLog.retried(event.id(), event.type(), event.attempts() + 1, attempts.max(), f.retryDelayMillis(), f.error());
      }
    }
    metrics.batchCompleted(result.size(), nanos);
  }

}
