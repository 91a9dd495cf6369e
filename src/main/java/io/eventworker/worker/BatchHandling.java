package io.eventworker.worker;

import io.eventworker.db.DatabaseErrors;
import io.eventworker.handler.Event;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.ClaimedEvent;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.EventRepository.Failure;
import io.eventworker.runtime.FatalErrors;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * What one pass of {@link BatchProcessor} does with the events it claimed, inside its transaction:
 * runs their handlers, writes their rows and completes them, then reports the outcome in metrics
 * and the log once the pass has committed.
 */
final class BatchHandling {

  private final EventRepository repository;
  private final Handlers handlers;
  private final Attempts attempts;
  private final WorkerMetrics metrics;
  private final Clock clock;
  private final FailureLog failureLog;
  private final Set<String> orderedTypes;

  BatchHandling(
      EventRepository repository,
      Handlers handlers,
      Attempts attempts,
      WorkerMetrics metrics,
      Clock clock,
      FailureLog failureLog,
      Set<String> orderedTypes) {
    this.repository = repository;
    this.handlers = handlers;
    this.attempts = attempts;
    this.metrics = metrics;
    this.clock = clock;
    this.failureLog = failureLog;
    this.orderedTypes = orderedTypes;
  }

  /**
   * How a batch writes its rows: all in one statement; in halves behind savepoints, after the
   * database rejected the batch's rows as data, to find the events at fault; or one event at a
   * time, after the batch's write ran out of DB_STATEMENT_TIMEOUT, to find the one that is slow.
   */
  enum Write {
    AT_ONCE,
    HALVING,
    ONE_BY_ONE
  }

  /** An attempt that did not succeed; a negative delay means the event is failed for good. */
  record Outcome(Event event, String error, long retryDelayMillis) {
    Failure failure() {
      return new Failure(event.id(), error, retryDelayMillis);
    }
  }

  /**
   * The events a pass completed: processed, and retried or failed; and how many it held back
   * untouched, behind an event of the same ordered type and user that is to be retried.
   */
  record Result(List<Event> processed, List<Outcome> failures, int heldBack) {
    static final Result NONE = new Result(List.of(), List.of(), 0);

    Result(List<Event> processed, List<Outcome> failures) {
      this(processed, failures, 0);
    }

    Result withHeldBack(int count) {
      return new Result(processed, failures, count);
    }

    int size() {
      return processed.size() + failures.size();
    }
  }

  /**
   * Runs the handlers of {@code events}, then writes their rows and completes them as {@code write}
   * says.
   */
  Result handleAndWrite(Connection c, List<ClaimedEvent> events, Write write) throws SQLException {
    BatchRows rows = new BatchRows(repository);
    List<Outcome> failures = new ArrayList<>();
    List<ClaimedEvent> heldBack = new ArrayList<>();
    List<Event> handled = handle(events, rows, failures, heldBack);
    Result result =
        switch (write) {
          // The fast path: one statement writes every row and completes the batch.
          case AT_ONCE -> new Result(handled, failures);
          case HALVING -> writeHalving(c, rows, handled, failures);
          case ONE_BY_ONE -> writeOneByOne(c, rows, handled, failures);
        };
    repository.complete(
        c,
        ids(result.processed()),
        result.processed().stream().map(Event::createdAt).toList(),
        write == Write.AT_ONCE ? rows.batches(handled) : List.of(),
        failures(failures));
    return result.withHeldBack(heldBack.size());
  }

  /**
   * Writes the rows of {@code handled} in halves until the events the database rejects stand alone.
   */
  private Result writeHalving(
      Connection c, BatchRows rows, List<Event> handled, List<Outcome> failures)
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
  private Result writeOneByOne(
      Connection c, BatchRows rows, List<Event> handled, List<Outcome> failures)
      throws SQLException {
    BatchRows.OneByOne done = rows.insertOneByOne(c, handled);
    done.rejected().forEach(r -> failures.add(rejectedAsData(r)));
    if (done.cancelled() != null) {
      BatchRows.Refused slow = done.cancelled();
      failures.add(
          retryOrGiveUp(
              slow.event(),
              "its rows could not be written: " + DatabaseErrors.describe(slow.cause())));
    }
    return new Result(done.written(), failures);
  }

  private static Outcome rejectedAsData(BatchRows.Refused r) {
    return new Outcome(
        r.event(), "rejected by the database: " + DatabaseErrors.describe(r.cause()), -1);
  }

  /**
   * Runs the handlers; returns the events that succeeded, adding the others to {@code failures}.
   * After an event of an ordered type is to be retried, the batch's later events of its type and
   * user are not run: they go to {@code heldBack}, and stay pending behind it.
   */
  private List<Event> handle(
      List<ClaimedEvent> events,
      BatchRows rows,
      List<Outcome> failures,
      List<ClaimedEvent> heldBack) {
    Set<OrderedUser> retrying = null;
    for (ClaimedEvent event : events) {
      OrderedUser user = orderedUser(event);
      if (retrying != null && user != null && retrying.contains(user)) {
        heldBack.add(event);
        event.dropPayload();
        continue;
      }
      int failed = failures.size();
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
        if (FatalErrors.isFatal(e)) {
          throw e;
        }
        rows.discard();
        failures.add(retryOrGiveUp(event, "handler error: " + e));
      } finally {
        event.dropPayload();
      }
      metrics.handlerRan(event.type(), System.nanoTime() - started);
      if (user != null
          && failures.size() > failed
          && failures.get(failed).retryDelayMillis() >= 0) {
        retrying = retrying == null ? new HashSet<>() : retrying;
        retrying.add(user);
      }
    }
    return rows.events();
  }

  /** An ordered type and a user: the events whose id order is kept. */
  private record OrderedUser(String type, int userId) {}

  /** The type and user whose order {@code event} keeps, or null if it keeps none. */
  private OrderedUser orderedUser(ClaimedEvent event) {
    if (orderedTypes.isEmpty() || event.userId() == null || !orderedTypes.contains(event.type())) {
      return null;
    }
    return new OrderedUser(event.type(), event.userId());
  }

  private static List<Long> ids(List<Event> events) {
    return events.stream().map(Event::id).toList();
  }

  private static List<Failure> failures(List<Outcome> outcomes) {
    return outcomes.stream().map(Outcome::failure).toList();
  }

  private Outcome retryOrGiveUp(Event event, String error) {
    Failure next = attempts.after(event.id(), event.attempts() + 1, error);
    return new Outcome(event, next.error(), next.retryDelayMillis());
  }

  /** Counts and logs what a committed pass did, in {@code nanos}. */
  void report(Result result, long nanos) {
    Instant now = clock.instant();
    for (Event event : result.processed()) {
      metrics.processed(
          event.type(),
          event.createdAt() == null ? null : Duration.between(event.createdAt(), now));
    }
    for (Outcome f : result.failures()) {
      Event event = f.event();
      if (f.retryDelayMillis() < 0) {
        metrics.failed(event.type(), 1);
        failureLog.failed(event.id(), event.type(), f.error());
      } else {
        metrics.retried(event.type());
        failureLog.retried(
            event.id(),
            event.type(),
            event.attempts() + 1,
            attempts.max(),
            f.retryDelayMillis(),
            f.error());
      }
    }
    metrics.batchCompleted(result.size(), nanos);
  }
}
