package io.eventworker.worker;

import io.eventworker.db.DatabaseErrors;
import io.eventworker.metrics.WorkerMetrics;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker thread's loop: process batches while they come back full, otherwise wait for a
 * notification or the poll interval. It never dies of an error: transient database errors are
 * retried with backoff (resilience4j), anything else is logged, counted and waited out.
 */
final class ClaimLoop implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(ClaimLoop.class);

  private final BatchProcessor processor;
  private final Retry retry;
  private final Wakeup wakeup;
  private final Duration pollInterval;
  private final Duration errorPause;
  private final WorkerMetrics metrics;
  private final AtomicBoolean outage;
  private volatile boolean inBatch;
  private final ClaimLimit claimLimit;
  // The last error logged with its stack trace: a systemic error repeats every pause, and one
  // trace of it is enough.
  private String lastError;

  /**
   * @param outage shared by all loops, so that an outage is logged once when it starts and once
   *     when it ends, not by every thread
   */
  ClaimLoop(
      BatchProcessor processor,
      ClaimLimit claimLimit,
      Retry retry,
      Wakeup wakeup,
      Duration pollInterval,
      Duration errorPause,
      WorkerMetrics metrics,
      AtomicBoolean outage) {
    this.processor = processor;
    this.claimLimit = claimLimit;
    this.retry = retry;
    this.wakeup = wakeup;
    this.pollInterval = pollInterval;
    this.errorPause = errorPause;
    this.metrics = metrics;
    this.outage = outage;
  }

  /** True while a batch transaction is open: the thread must not be interrupted then. */
  boolean inBatch() {
    return inBatch;
  }

  @Override
  public void run() {
    try {
      while (!wakeup.isStopped()) {
        try {
          BatchProcessor.Batch batch = retry.executeCallable(this::batch);
          claimLimit.after(batch);
          if (outage.compareAndSet(true, false)) {
            log.info("database reachable again, processing resumed");
          }
          if (lastError != null && batch.claimed() > 0) {
            log.info("batches succeed again after: {}", lastError);
            lastError = null;
          }
          if (batch.full()) {
            // More may be due: bring a waiting peer in, and go again at once.
            wakeup.signal();
          } else if (!wakeup.await(waitAfter(batch))) {
            return;
          }
        } catch (InterruptedException e) {
          return;
        } catch (Throwable t) {
          if (wakeup.isStopped()) {
            return;
          }
          onError(t);
          if (!wakeup.pause(errorPause)) {
            return;
          }
        }
      }
    } catch (InterruptedException e) {
      // Interrupted by stop() while waiting: fall through and end.
    }
  }

  private BatchProcessor.Batch batch() throws Exception {
    if (wakeup.isStopped()) {
      return new BatchProcessor.Batch(0, false, false, 0);
    }
    inBatch = true;
    try {
      return processor.processBatch(claimLimit.current());
    } finally {
      inBatch = false;
    }
  }

  /** How long to wait for a notification after a batch that was not full. */
  private Duration waitAfter(BatchProcessor.Batch batch) {
    long recheck = batch.recheckNanos();
    return recheck > 0 && recheck < pollInterval.toNanos()
        ? Duration.ofNanos(recheck)
        : pollInterval;
  }

  private void onError(Throwable t) {
    if (DatabaseErrors.isTransient(t)) {
      metrics.loopError("transient");
      if (outage.compareAndSet(false, true)) {
        log.warn(
            "database unavailable, retrying every {} ms at most: {}",
            errorPause.toMillis(),
            t.toString());
      }
    } else {
      metrics.loopError("other");
      if (t.toString().equals(lastError)) {
        log.error("worker loop error again, pausing {} ms: {}", errorPause.toMillis(), lastError);
      } else {
        lastError = t.toString();
        log.error(
            "worker loop error, pausing {} ms before the next batch", errorPause.toMillis(), t);
      }
    }
  }
}
