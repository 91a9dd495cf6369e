package io.eventworker.db;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
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
    long initialMillis = Math.max(1, initial.toMillis());
    long maxMillis = max.toMillis();
    return attempt -> {
      double doubled = initialMillis * Math.pow(2, Math.min(attempt - 1, 30));
      long capped = (long) Math.min(maxMillis, doubled);
      return capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1);
    };
  }

  /** A retry for transient database errors, backing off from {@code initial} up to {@code max}. */
  public static Retry transientErrors(String name, Duration initial, Duration max, int maxAttempts) {
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
