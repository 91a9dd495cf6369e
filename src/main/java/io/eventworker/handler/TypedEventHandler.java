package io.eventworker.handler;

/**
 * An {@link EventHandler} whose payload is bound to a record before it runs: declare the record,
 * and {@link #handle(Event, Record, Rows)} receives it filled in. A payload that does not fit the
 * record (a required field missing, a field of the wrong kind, a string too long) fails its event
 * at once, with the same messages as {@link PayloadFields}; see {@link PayloadFields#bind}.
 *
 * <pre>{@code
 * record Signup(@PayloadFields.MaxLength(50) String plan, Optional<String> referrer) {}
 * }</pre>
 */
public interface TypedEventHandler<T extends Record> extends EventHandler {

  /** The record the payload is bound to. */
  Class<T> payloadType();

  /** Adds the rows the event produces, its payload bound to {@code payload}. */
  void handle(Event event, T payload, Rows rows) throws InvalidEventException;

  @Override
  default void handle(Event event, Rows rows) throws InvalidEventException {
    handle(event, PayloadFields.bind(event, payloadType()), rows);
  }
}
