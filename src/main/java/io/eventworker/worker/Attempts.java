package io.eventworker.worker;

import io.eventworker.queue.EventRepository.Failure;
import io.eventworker.runtime.Backoff;

/** How many attempts an event gets (MAX_ATTEMPTS), and how long it waits between them. */
record Attempts(int max, Backoff backoff) {

  /**
   * What follows failed attempt number {@code attempt} (1 for the first) of event {@code eventId}:
   * another after its backoff, or, at the last, the event failed for good.
   */
  Failure after(long eventId, int attempt, String error) {
    return attempt >= max
        ? new Failure(eventId, "gave up after " + attempt + " attempts: " + error, -1)
        : new Failure(eventId, error, backoff.delayMillis(attempt));
  }
}
