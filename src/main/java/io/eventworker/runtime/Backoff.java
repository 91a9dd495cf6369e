package io.eventworker.runtime;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;

/**
 * The worker's one backoff: waits that double from an initial delay up to a maximum, with the
 * jitter each use needs. Handler retries, transient database errors, the listener's reconnects and
 * start-up's wait for the database all take their delays from here.
 */
public final class Backoff {

  /**
   * How the doubled, capped delay is spread, so that failures that came together do not return
   * together.
   */
  public enum Jitter {
    /** Exactly the doubled delay, capped: one waiter alone, such as a reconnect. */
    NONE,
    /**
     * ±25% around the doubled delay, then capped: the maximum stays the longest wait, as the
     * setting promises.
     */
    QUARTER,
    /**
     * A random half of the capped delay: once the delay saturates, threads and replicas still
     * spread out instead of all retrying on the same beat.
     */
    EQUAL
  }

  private static final double QUARTER = 0.25;

  private final long initialMillis;
  private final long maxMillis;
  private final Jitter jitter;
  private final DoubleSupplier random;

  /** {@code random} returns values in [0, 1); injected so that tests can fix it. */
  public Backoff(Duration initial, Duration max, Jitter jitter, DoubleSupplier random) {
    this.initialMillis = initial.toMillis();
    this.maxMillis = max.toMillis();
    this.jitter = jitter;
    this.random = random;
  }

  /** A backoff with {@code jitter} drawn from {@link ThreadLocalRandom}. */
  public static Backoff of(Duration initial, Duration max, Jitter jitter) {
    return new Backoff(initial, max, jitter, () -> ThreadLocalRandom.current().nextDouble());
  }

  /** The delay after the {@code attempt}-th failed attempt (1 for the first). */
  public long delayMillis(int attempt) {
    double doubled =
        Math.max(1, initialMillis) * Math.pow(2, Math.min(Math.max(attempt, 1) - 1, 62));
    return switch (jitter) {
      case NONE -> (long) Math.min(maxMillis, doubled);
      case QUARTER -> {
        double jittered = doubled * (1 - QUARTER + 2 * QUARTER * random.getAsDouble());
        yield (long) Math.min(maxMillis, Math.max(1, jittered));
      }
      case EQUAL -> {
        long capped = (long) Math.min(maxMillis, doubled);
        yield capped / 2 + (long) (random.getAsDouble() * (capped / 2 + 1));
      }
    };
  }

  /** {@link #delayMillis(int)} as a duration. */
  public Duration delay(int attempt) {
    return Duration.ofMillis(delayMillis(attempt));
  }
}
