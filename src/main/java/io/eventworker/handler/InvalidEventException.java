package io.eventworker.handler;

/**
 * Thrown by a handler for an event that can never succeed (a missing field, a wrong type, a value
 * too long): the event is marked {@code failed} at once, with this message as its last_error.
 */
public final class InvalidEventException extends Exception {

  private static final long serialVersionUID = 1L;

  public InvalidEventException(String message) {
    // No stack trace: this is a verdict on the event's data, recorded as its last_error, and a
    // bad producer can send thousands a second.
    super(message, null, false, false);
  }
}
