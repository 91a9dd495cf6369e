package io.eventworker.queue;

/** Input a producer command refuses, with a message that says where and why. */
public final class InvalidInputException extends Exception {

  private static final long serialVersionUID = 1L;

  public InvalidInputException(String message) {
    super(message);
  }
}
