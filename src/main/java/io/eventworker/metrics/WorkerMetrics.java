package io.eventworker.metrics;

import java.time.Duration;

/** What the worker reports as it goes; {@link #NONE} for commands and tests that do not watch. */
public interface WorkerMetrics {

  WorkerMetrics NONE = new WorkerMetrics() {};

  /** The worker handles these event types (called once, before any event). */
  default void handles(String[] types) {}

  /** One handler call on an event of {@code type} took {@code nanos}. */
  default void handlerRan(String type, long nanos) {}

  /** An event was processed and committed {@code latency} after it was inserted. */
  default void processed(String type, Duration latency) {}

  /** An attempt failed and the event will be tried again later. */
  default void retried(String type) {}

  /** {@code count} events were marked failed for good. */
  default void failed(String type, long count) {}

  /** A batch of {@code size} events was claimed, processed and committed in {@code nanos}. */
  default void batchCompleted(int size, long nanos) {}

  /** A transient database error was retried (connection lost, server restarting, deadlock...). */
  default void databaseRetried() {}

  /**
   * An error escaped the retries and reached the worker loop, which pauses and goes on; {@code
   * kind} is {@code transient} (a long outage) or {@code other}.
   */
  default void loopError(String kind) {}
}
