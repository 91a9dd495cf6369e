package io.eventworker.db;

import io.eventworker.runtime.Backoff;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The resilience4j retry around one whole short transaction: transient errors only, exponential
 * backoff with jitter. Each retry starts the transaction afresh; nothing sleeps inside one.
 */
public final class DatabaseRetry {

  private static final Logger log = LoggerFactory.getLogger(DatabaseRetry.class);

  private DatabaseRetry() {}

  /**
   * Doubling waits, capped, of which a random half is jitter. The cap applies before the jitter:
   * once the backoff saturates, threads and replicas still spread out instead of all retrying on
   * the same beat (resilience4j's exponential random backoff caps after randomising).
   */
  static IntervalFunction equalJitter(Duration initial, Duration max) {
    Backoff backoff = Backoff.of(initial, max, Backoff.Jitter.EQUAL);
    return backoff::delayMillis;
  }

  /** A retry for transient database errors, backing off from {@code initial} up to {@code max}. */
  public static Retry transientErrors(
      String name, Duration initial, Duration max, int maxAttempts) {
    RetryConfig config =
        RetryConfig.custom()
            .maxAttempts(maxAttempts)
            .intervalFunction(equalJitter(initial, max))
            .retryOnException(DatabaseErrors::isTransient)
            .build();
    Retry retry = Retry.of(name, config);
    retry
        .getEventPublisher()
        .onRetry(
            e ->
                log.debug(
                    "{}: transient database error, attempt {} retried in {} ms: {}",
                    name,
                    e.getNumberOfRetryAttempts(),
                    e.getWaitInterval().toMillis(),
                    String.valueOf(e.getLastThrowable())));
    return retry;
  }
}
