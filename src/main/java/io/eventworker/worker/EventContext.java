package io.eventworker.worker;

import org.slf4j.MDC;

/**
 * The event a log line is about, as the MDC fields {@code event_id} and {@code event_type}: a JSON
 * log carries them as fields of their own, so that an operator can filter by event.
 */
final class EventContext implements AutoCloseable {

  static final String ID = "event_id";
  static final String TYPE = "event_type";

  private EventContext() {}

  /** Sets the fields until {@link #close()}. */
  static EventContext of(long id, String type) {
    MDC.put(ID, Long.toString(id));
    MDC.put(TYPE, type);
    return new EventContext();
  }

  @Override
  public void close() {
    MDC.remove(ID);
    MDC.remove(TYPE);
  }
}
