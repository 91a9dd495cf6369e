package io.eventworker.worker;

import java.util.function.LongSupplier;
import org.slf4j.Logger;

/**
 * One log line per failed or retried event, up to {@value #LINES_PER_WINDOW} lines each {@value
 * #WINDOW_SECONDS} seconds; beyond that, one line saying how many were not logged. A broken
 * producer can fail thousands of events a second: their reasons are kept in last_error (and counted
 * by `event-worker status`), the log need not repeat each.
 */
final class FailureLog {

  static final int LINES_PER_WINDOW = 50;
  static final int WINDOW_SECONDS = 10;

  private final Logger log;
  private final LongSupplier nanoTime;
  private long windowStart;
  private int lines;
  private long suppressed;

  FailureLog(Logger log, LongSupplier nanoTime) {
    this.log = log;
    this.nanoTime = nanoTime;
    this.windowStart = nanoTime.getAsLong();
  }

  /** Logs that event {@code id} failed for good, and why. */
  void failed(long id, String type, String error) {
    try (EventContext context = EventContext.of(id, type)) {
      warn("event {} ({}) failed: {}", id, type, error);
    }
  }

  /**
   * Logs that attempt {@code attempt} of {@code max} of event {@code id} failed, and when the next
   * is.
   */
  void retried(long id, String type, int attempt, int max, long delayMillis, String error) {
    try (EventContext context = EventContext.of(id, type)) {
      warn(
          "event {} ({}) attempt {} of {} failed, next in {} ms: {}",
          id,
          type,
          attempt,
          max,
          delayMillis,
          error);
    }
  }

  /** Logs a warning unless this window's lines are used up. */
  synchronized void warn(String format, Object... args) {
    long now = nanoTime.getAsLong();
    if (now - windowStart >= WINDOW_SECONDS * 1_000_000_000L) {
      if (suppressed > 0) {
        log.warn(
            "{} more failed or retried events were not logged in the last {} s; their reasons are"
                + " in events.last_error (event-worker status lists the most frequent)",
            suppressed,
            WINDOW_SECONDS);
      }
      windowStart = now;
      lines = 0;
      suppressed = 0;
    }
    if (lines < LINES_PER_WINDOW) {
      lines++;
      log.warn(format, args);
    } else {
      suppressed++;
    }
  }
}
