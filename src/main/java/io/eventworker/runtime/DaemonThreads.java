package io.eventworker.runtime;

import java.util.concurrent.ThreadFactory;

/**
 * The worker's background threads: daemons, so that one stuck on a dead socket cannot keep the JVM
 * from exiting once shutdown has given up on it, each named for what it does.
 */
public final class DaemonThreads {

  private DaemonThreads() {}

  /** A daemon thread called {@code name} that runs {@code task}, not yet started. */
  public static Thread create(Runnable task, String name) {
    Thread t = new Thread(task, name);
    t.setDaemon(true);
    return t;
  }

  /** A factory of daemon threads that are all called {@code name}. */
  public static ThreadFactory named(String name) {
    return task -> create(task, name);
  }
}
