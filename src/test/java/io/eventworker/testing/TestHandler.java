package io.eventworker.testing;

import io.eventworker.handler.Event;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.handler.Rows;

/** A handler written as a lambda, for tests that need one event type with its own behaviour. */
public final class TestHandler {

  /** What {@link EventHandler#handle} does. */
  @FunctionalInterface
  public interface Body {
    void handle(Event event, Rows rows) throws InvalidEventException;
  }

  private TestHandler() {}

  /** A handler of {@code type} that runs {@code body}. */
  public static EventHandler of(String type, Body body) {
    return new EventHandler() {
      @Override
      public String eventType() {
        return type;
      }

      @Override
      public void handle(Event event, Rows rows) throws InvalidEventException {
        body.handle(event, rows);
      }
    };
  }
}
