package io.eventworker.worker;

import java.time.Duration;
import java.util.function.DoubleSupplier;

/**
 * How long an event waits before its next attempt after a handler error: doubling from the
 * initial delay up to the maximum, with ±25% jitter so that a burst of failures does not come back
 * as a burst.
 */
final class RetryBackoff {

  private static final double JITTER = 0.25;

  private final long initialMillis;
  private final long maxMillis;
  private final DoubleSupplier random;

  /** {@code random} returns values in [0, 1); injected so that tests can fix it. */
  RetryBackoff(Duration initial, Duration max, DoubleSupplier random) {
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
    this.random = random;
  }

  /** The delay after the {@code attempt}-th failed attempt (1 for the first). */
  long delayMillis(int attempt) {
    double base = initialMillis * Math.pow(2, Math.min(attempt - 1, 62));
    double jittered = base * (1 - JITTER + 2 * JITTER * random.getAsDouble());
    return (long) Math.min(maxMillis, Math.max(1, jittered));
  }
}
