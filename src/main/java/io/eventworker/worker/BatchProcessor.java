package io.eventworker.worker;

import io.eventworker.db.DatabaseErrors;
import io.eventworker.db.Transactions;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.ClaimedEvent;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.OrderedClaims;
import io.eventworker.queue.PayloadBudget;
import io.eventworker.queue.UnrenderablePayloadException;
import io.eventworker.runtime.Backoff;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Clock;
import java.util.List;
import java.util.Set;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One batch, one transaction: claim pending events with SKIP LOCKED, run their handlers, write the
 * rows, mark each event processed, retried or failed, commit. A crash at any instant leaves every
 * event either processed with its rows, or pending with nothing written.
 *
 * <p>Whose fault a failure is decides what happens (docs/DESIGN.md): a handler's error charges its
 * event an attempt; rows rejected as data fail their event alone; a cancelled write is done again
 * one event at a time; any other database error is the system's, and the batch rolls back
 * untouched, charged to no event.
 */
final class BatchProcessor {

  private static final Logger log = LoggerFactory.getLogger(BatchProcessor.class);

  private final DataSource dataSource;
  private final EventRepository repository;
  private final long payloadBytes;
  private final BatchClaims claims;
  private final BatchHandling handling;
  private final SoloFailures soloFailures;
  // ORDERED_EVENT_TYPES; when there are any, events are claimed again in each user's order.
  private final String[] orderedTypes;
  private final OrderedClaims orderedClaims = new OrderedClaims();

  BatchProcessor(
      DataSource dataSource,
      EventRepository repository,
      Handlers handlers,
      long payloadBytes,
      int maxAttempts,
      Backoff backoff,
      WorkerMetrics metrics,
      Clock clock,
      Set<String> orderedTypes) {
    this.dataSource = dataSource;
    this.repository = repository;
    this.payloadBytes = payloadBytes;
    Attempts attempts = new Attempts(maxAttempts, backoff);
    FailureLog failureLog = new FailureLog(log, System::nanoTime);
    this.claims = new BatchClaims(repository, handlers.types(), orderedTypes);
    this.orderedTypes = orderedTypes.toArray(String[]::new);
    this.handling =
        new BatchHandling(repository, handlers, attempts, metrics, clock, failureLog, orderedTypes);
    this.soloFailures =
        new SoloFailures(dataSource, repository, payloadBytes, attempts, metrics, failureLog);
  }

  /** How a transaction claims its events. */
  private interface Claim {
    List<ClaimedEvent> from(Connection c, PayloadBudget budget) throws SQLException;
  }

  /**
   * What one batch did: how many events it claimed; full when more may be due at once; cut short
   * when it let go of events its claim passed (see {@link ClaimLimit}); and, after a claim from the
   * cursor that came back short, how soon a rescan may find what it passed over (0: no need to look
   * again before the poll).
   */
  record Batch(int claimed, boolean full, boolean cutShort, long recheckNanos) {}

  /** Processes one batch of up to {@code limit} events. */
  Batch processBatch(int limit) throws SQLException {
    BatchClaims.Round round = claims.round(limit);
    Pass.Committed done;
    try {
      done = process(round::claim, BatchHandling.Write.AT_ONCE);
    } catch (Throwable e) {
      round.rewind();
      throw e;
    }
    return round.committed(done.done(), done.cutShort());
  }

  /**
   * Runs one pass, claiming as {@code claim} does and writing as {@code write} says, then what its
   * end calls for: a pass rolled back is followed by passes over its events, by id, each in a
   * transaction of its own, once its connection is back in the pool.
   */
  private Pass.Committed process(Claim claim, BatchHandling.Write write) throws SQLException {
    Pass pass = pass(claim, write);
    if (pass instanceof Pass.Committed committed) {
      return committed;
    }
    if (pass instanceof Pass.Unrenderable u) {
      // Cut short by its payloads: the events it rolled back are due.
      return new Pass.Committed(soloFailures.failUnrenderable(u.cause()), true);
    }
    if (pass instanceof Pass.Cancelled c) {
      log.warn(
          "writing a batch of {} events was cancelled ({}); writing them one at a time",
          c.ids().size(),
          DatabaseErrors.describe(c.cause()));
      return again(c.ids(), BatchHandling.Write.ONE_BY_ONE).cutShortIf(c.passedOver());
    }
    Pass.RejectedAsData rejected = (Pass.RejectedAsData) pass;
    if (write == BatchHandling.Write.AT_ONCE) {
      return again(rejected.ids(), BatchHandling.Write.HALVING).cutShortIf(rejected.passedOver());
    }
    // Every write passed on its own, so the data error came at commit (a deferred constraint):
    // no telling which event caused it.
    List<Long> ids = rejected.ids();
    if (ids.size() == 1) {
      return new Pass.Committed(
          soloFailures.failRefused(ids.get(0), rejected.cause()), rejected.passedOver());
    }
    log.warn("a batch of {} events was rejected at commit; processing them one by one", ids.size());
    Pass.Committed done = new Pass.Committed(0, rejected.passedOver());
    for (long id : ids) {
      done = done.and(again(List.of(id), BatchHandling.Write.HALVING));
    }
    return done;
  }

  /**
   * Claims the events {@code ids} again, if still due, and writes their rows as {@code write} says.
   */
  private Pass.Committed again(List<Long> ids, BatchHandling.Write write) throws SQLException {
    if (orderedTypes.length > 0) {
      return process((c, budget) -> orderedClaims.claimIds(c, ids, orderedTypes, budget), write);
    }
    return process((c, budget) -> repository.claimIds(c, ids, budget), write);
  }

  /**
   * Claims, handles, writes and commits one batch in one transaction; or rolls it back, and says
   * why, when the database rejected its rows as data, cancelled its write, or could not render a
   * payload. Any other error is thrown.
   */
  private Pass pass(Claim claim, BatchHandling.Write write) throws SQLException {
    long started = System.nanoTime();
    PayloadBudget budget = new PayloadBudget(payloadBytes);
    List<ClaimedEvent> events = List.of();
    try (Connection c = dataSource.getConnection()) {
      try {
        events = claim.from(c, budget);
        BatchHandling.Result result =
            events.isEmpty()
                ? BatchHandling.Result.NONE
                : handling.handleAndWrite(c, events, write);
        c.commit();
        if (!events.isEmpty()) {
          handling.report(result, System.nanoTime() - started);
        }
        // A one-by-one pass stops at a cancelled write: the events after it are pending again,
        // and the claim cursor has passed them.
        return new Pass.Committed(
            result.size(), budget.spent() || result.size() + result.heldBack() < events.size());
      } catch (Throwable e) {
        Transactions.rollbackQuietly(c, e);
        Pass failed = rolledBack(e, ids(events), write, budget.spent());
        if (failed == null) {
          throw e;
        }
        return failed;
      }
    }
  }

  /**
   * Why a pass over {@code ids} rolled back, or null for an error that is not one of the pass's
   * own.
   */
  private static Pass rolledBack(
      Throwable e, List<Long> ids, BatchHandling.Write write, boolean passedOver) {
    if (e instanceof UnrenderablePayloadException u) {
      return new Pass.Unrenderable(u);
    }
    if (!(e instanceof SQLException sql) || ids.isEmpty()) {
      return null;
    }
    if (DatabaseErrors.isCausedByData(sql)) {
      return new Pass.RejectedAsData(ids, sql, passedOver);
    }
    if (DatabaseErrors.isStatementCancelled(sql) && write != BatchHandling.Write.ONE_BY_ONE) {
      return new Pass.Cancelled(ids, sql, passedOver);
    }
    return null;
  }

  private static List<Long> ids(List<ClaimedEvent> events) {
    return events.stream().map(ClaimedEvent::id).toList();
  }
}
