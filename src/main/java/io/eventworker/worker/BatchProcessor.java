package io.eventworker.worker;

import io.eventworker.db.DatabaseErrors;
import io.eventworker.handler.Event;
import io.eventworker.handler.Handlers;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.EventRepository.Claimed;
import io.eventworker.queue.EventRepository.Failure;
import io.eventworker.queue.PayloadBudget;
import io.eventworker.queue.UnrenderablePayloadException;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch, one transaction: claim pending events with SKIP LOCKED, run their handlers, write the
 * rows, mark each event processed, retried or failed, commit. A crash at any instant leaves every
 * event either processed with its rows, or pending with nothing written.
 *
 * <p>Whose fault a failure is decides what happens. A handler that throws charges its event an
 * attempt. Rows the database rejects as data (SQLSTATE class 22 or 23) fail their event alone.
 * Any other database error is the system's (a missing column, a revoked privilege, a timeout):
 * the batch rolls back untouched, no attempt is charged, and the loop waits before trying again.
 */
final class BatchProcessor {

  private static final Logger log = LoggerFactory.getLogger(BatchProcessor.class);
  // How long an event passed over by the claim cursor (see ClaimCursors) may wait at most.
  private static final long RESCAN_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final DataSource dataSource;
  private final EventRepository repository;
  private final Handlers handlers;
  private final String[] types;
  private final int batchSize;
  private final long payloadBytes;
  private final int maxAttempts;
  private final RetryBackoff backoff;
  private final WorkerMetrics metrics;
  private final Clock clock;
  private final AtomicInteger nextType = new AtomicInteger();
  private final ClaimCursors cursors = new ClaimCursors(RESCAN_NANOS, System::nanoTime);
  private final FailureLog failureLog = new FailureLog(log, System::nanoTime);

  BatchProcessor(
      DataSource dataSource,
      EventRepository repository,
      Handlers handlers,
      int batchSize,
      long payloadBytes,
      int maxAttempts,
      RetryBackoff backoff,
      WorkerMetrics metrics,
      Clock clock) {
    this.dataSource = dataSource;
    this.repository = repository;
    this.handlers = handlers;
    this.types = handlers.types();
    this.batchSize = batchSize;
    this.payloadBytes = payloadBytes;
    this.maxAttempts = maxAttempts;
    this.backoff = backoff;
    this.metrics = metrics;
    this.clock = clock;
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
   * What one batch did: how many events it claimed; full when more may be due at once; and how
   * many the thread's next batch should claim.
   */
  record Batch(int claimed, boolean full, int nextLimit) {}

  int batchSize() {
    return batchSize;
  }

  /**
   * Processes one batch of up to {@code limit} events. How many a thread claims is the batch size,
   * except after a batch that its payloads cut short: the rows such a batch locked but could not
   * take stay locked until it commits, and the other threads pass over them; so the thread's next
   * claims ask for little more than it took, and the limit doubles back with every full batch.
   */
  Batch processBatch(int limit) throws SQLException {
    PayloadBudget budget = new PayloadBudget(payloadBytes);
    int claimed = process((c, b) -> claimRoundRobin(c, b, limit), false, budget);
    if (budget.spent()) {
      return new Batch(claimed, true, claimed + 1);
    }
    boolean full = claimed >= limit;
    return new Batch(claimed, full, full ? Math.min(batchSize, limit * 2) : limit);
  }

  /**
   * Fills a batch of up to {@code limit} type by type, starting with a different type each time:
   * every handled type gets its turn, however large another type's backlog.
   */
  private List<Event> claimRoundRobin(Connection c, PayloadBudget budget, int limit) throws SQLException {
    int first = Math.floorMod(nextType.getAndIncrement(), types.length);
    List<Event> events = new ArrayList<>(limit);
    for (int i = 0; i < types.length && events.size() < limit && !budget.spent(); i++) {
      String type = types[(first + i) % types.length];
      Claimed claimed = repository.claim(c, type, limit - events.size(), cursors.start(type), budget);
      events.addAll(claimed.events());
      cursors.advance(type, claimed.last());
    }
    return events;
  }

  /**
   * Claims, handles, writes and commits one batch. {@code isolating}: the batch was rejected once
   * already, so its rows go in halves behind savepoints to find the events at fault.
   */
  private int process(Claim claim, boolean isolating, PayloadBudget budget) throws SQLException {
    long started = System.nanoTime();
    List<Event> events = List.of();
    Result result = null;
    SQLException rejected = null;
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
        if (isolating) {
          List<Event> written = new ArrayList<>(handled.size());
          writeIsolating(c, rows, handled, written, failures);
          result = new Result(written, failures);
          repository.complete(c, ids(written), List.of(), failures(failures));
        } else {
          // The fast path: one statement writes every row and completes the batch.
          result = new Result(handled, failures);
          repository.complete(c, ids(handled), rows.batches(handled), failures(failures));
        }
        c.commit();
      } catch (Throwable e) {
        rollbackQuietly(c, e);
        if (e instanceof UnrenderablePayloadException u) {
          unrenderable = u;
          // Cut short by its payloads: the events it rolled back are due.
          budget.refuse();
        } else if (!(e instanceof SQLException sql) || events.isEmpty() || !DatabaseErrors.isCausedByData(sql)) {
          throw e;
        } else {
          rejected = sql;
        }
      }
    }
    if (unrenderable != null) {
      return failUnrenderable(unrenderable);
    }
    if (rejected != null) {
      // Handled here, once this connection is back in the pool, and by id: the rejected batch's
      // payloads are let go before the events are read again.
      List<Long> ids = ids(events);
      events = null;
      if (!isolating) {
        return process((c, b) -> repository.claimIds(c, ids, b), true, new PayloadBudget(payloadBytes));
      }
      // Every write passed on its own, so the data error came at commit (a deferred constraint):
      // no telling which event caused it.
      return ids.size() == 1 ? failAlone(ids.get(0), rejected) : oneByOne(ids);
    }
    report(result, System.nanoTime() - started);
    return result.size();
  }

  /** Runs the handlers; returns the events that succeeded, adding the others to {@code failures}. */
  private List<Event> handle(List<Event> events, BatchRows rows, List<Outcome> failures) {
    for (Event event : events) {
      long started = System.nanoTime();
      rows.begin();
      try {
        handlers.forType(event.type()).handle(event, rows);
        rows.keep(event);
      } catch (InvalidEventException e) {
        rows.discard();
        failures.add(new Outcome(event, "invalid payload: " + e.getMessage(), -1));
      } catch (Throwable e) {
        // Whatever the handler throws is this event's doing, Errors included; only the JVM
        // itself failing (out of memory) is not.
        if (e instanceof VirtualMachineError && !(e instanceof StackOverflowError)) {
          throw e;
        }
        rows.discard();
        failures.add(retryOrGiveUp(event, "handler error: " + e));
      }
      metrics.handlerRan(event.type(), System.nanoTime() - started);
    }
    return rows.events();
  }

  /**
   * Writes the rows of {@code events}; if the database rejects them as data, halves the set
   * behind savepoints until the rejected events stand alone. A few subtransactions find one bad
   * event among hundreds, rather than one per event.
   */
  private void writeIsolating(
      Connection c, BatchRows rows, List<Event> events, List<Event> written, List<Outcome> failures)
      throws SQLException {
    if (events.isEmpty()) {
      return;
    }
    Savepoint savepoint = c.setSavepoint();
    try {
      rows.insert(c, events);
      c.releaseSavepoint(savepoint);
      written.addAll(events);
    } catch (SQLException e) {
      if (!DatabaseErrors.isCausedByData(e)) {
        throw e;
      }
      c.rollback(savepoint);
      if (events.size() == 1) {
        failures.add(new Outcome(events.get(0), "rejected by the database: " + DatabaseErrors.describe(e), -1));
        return;
      }
      int half = events.size() / 2;
      writeIsolating(c, rows, events.subList(0, half), written, failures);
      writeIsolating(c, rows, events.subList(half, events.size()), written, failures);
    }
  }

  private static List<Long> ids(List<Event> events) {
    return events.stream().map(Event::id).toList();
  }

  private static List<Failure> failures(List<Outcome> outcomes) {
    return outcomes.stream().map(Outcome::failure).toList();
  }

  /** After a batch failed at commit: each event in a transaction of its own. */
  private int oneByOne(List<Long> ids) throws SQLException {
    log.warn("a batch of {} events was rejected at commit; processing them one by one", ids.size());
    int done = 0;
    for (long id : ids) {
      done += process((c, b) -> repository.claimIds(c, List.of(id), b), true, new PayloadBudget(payloadBytes));
    }
    return done;
  }

  /** A single event whose transaction the database refused at commit: it fails, on its own. */
  private int failAlone(long id, SQLException cause) throws SQLException {
    Result result;
    try (Connection c = dataSource.getConnection()) {
      try {
        List<Event> again = repository.claimIds(c, List.of(id), new PayloadBudget(payloadBytes));
        if (again.isEmpty()) {
          c.commit();
          return 0;
        }
        Outcome failure = new Outcome(again.get(0), "rejected by the database: " + DatabaseErrors.describe(cause), -1);
        result = new Result(List.of(), List.of(failure));
        repository.complete(c, List.of(), List.of(), List.of(failure.failure()));
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c, e);
        throw e;
      }
    }
    report(result, 0);
    return 1;
  }

  /**
   * After PostgreSQL could not read one of a batch's payloads (the transaction was aborted):
   * reads each of them alone, holding its row, and fails one whose text would pass the server's
   * 1 GB limit, with the reason, without reading it. The others stay pending, for the next batch.
   * Returns how many failed.
   */
  private int failUnrenderable(UnrenderablePayloadException batch) throws SQLException {
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
          rollbackQuietly(c, e);
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
      String error = "payload cannot be read: as JSON text it would pass PostgreSQL's 1 GB limit ("
          + DatabaseErrors.describe((SQLException) alone.getCause()) + ")";
      repository.complete(c, List.of(), List.of(), List.of(new Failure(id, error, -1)));
      c.commit();
      failureLog.warn("event {} ({}) failed: {}", id, type, error);
      return type;
    }
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
        metrics.failed(event.type(), 1);
        failureLog.warn("{} failed: {}", event, f.error());
      } else {
        metrics.retried(event.type());
        failureLog.warn(
            "{} attempt {} of {} failed, next in {} ms: {}",
            event, event.attempts() + 1, maxAttempts, f.retryDelayMillis(), f.error());
      }
    }
    metrics.batchCompleted(result.size(), nanos);
  }

  private static void rollbackQuietly(Connection c, Throwable cause) {
    try {
      c.rollback();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
