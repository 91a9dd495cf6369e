package io.eventworker.db;

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
  private static final double MULTIPLIER = 2.0;
  private static final double JITTER = 0.5;

  private DatabaseRetry() {}

  /** A retry for transient database errors, backing off from {@code initial} up to {@code max}. */
  public static Retry transientErrors(String name, Duration initial, Duration max, int maxAttempts) {
    RetryConfig config =
        RetryConfig.custom()
            .maxAttempts(maxAttempts)
            .intervalFunction(
                IntervalFunction.ofExponentialRandomBackoff(initial, MULTIPLIER, JITTER, max))
            .retryOnException(TransientErrors::isTransient)
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
