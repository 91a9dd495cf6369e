package io.eventworker.handler;

import java.util.List;

/**
 * Turns one event type into rows. Implementations are found through {@link java.util.ServiceLoader}
 * (list the class in {@code META-INF/services/io.eventworker.handler.EventHandler}).
 *
 * <p>{@link #handle} runs inside the transaction that claimed the event and that marks it
 * processed, so its rows are written exactly once. It must only validate and add rows: no calls to
 * other systems, no sleeping. Throw {@link InvalidEventException} for a payload that can never
 * succeed; anything else it throws (exceptions and errors alike) is retried with backoff, up to
 * MAX_ATTEMPTS. The event's payload is let go when {@code handle} returns or throws: take from it
 * what the rows need, do not keep the event. One instance serves every worker thread at once: keep
 * it stateless, or thread-safe.
 */
public interface EventHandler {

  /** The {@code events.event_type} this handler consumes. */
  String eventType();

  /** Validates the event and adds the rows it produces. */
  void handle(Event event, Rows rows) throws InvalidEventException;

  /**
   * Where the migrations of this handler's own tables live, as Flyway locations such as {@code
   * classpath:db/handlers/page_view}: {@code migrate} applies them after the worker's own, in a
   * history of this handler's own (versions start at 1), and {@code run} waits for them. None by
   * default.
   */
  default List<String> migrationLocations() {
    return List.of();
  }
}
