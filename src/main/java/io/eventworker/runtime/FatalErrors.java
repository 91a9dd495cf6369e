package io.eventworker.runtime;

/**
 * The one rule for what a loop must not survive: the JVM itself failing (out of memory, an internal
 * error). A stack overflow is the code's own doing, and is handled like any exception.
 */
public final class FatalErrors {

  private FatalErrors() {}

  /** True if {@code e} must be rethrown rather than logged and survived. */
  public static boolean isFatal(Throwable e) {
    return e instanceof VirtualMachineError && !(e instanceof StackOverflowError);
  }
}
