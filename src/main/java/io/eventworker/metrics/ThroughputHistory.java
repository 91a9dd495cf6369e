package io.eventworker.metrics;

import io.eventworker.runtime.DaemonThreads;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * This replica's events processed, failed and retried over the last minutes, for the console: its
 * own counters ({@code eventworker.events}) read every {@value #STEP_SECONDS} seconds into a ring
 * of {@value #MINUTES} minutes. It costs the database nothing; the whole fleet's throughput is
 * Prometheus' {@code rate(eventworker_events_total[5m])}.
 */
public final class ThroughputHistory implements AutoCloseable {

  static final int STEP_SECONDS = 10;
  static final int MINUTES = 15;
  private static final int PER_MINUTE = 60 / STEP_SECONDS;
  private static final int SLOTS = MINUTES * PER_MINUTE + 1;
  private static final String[] RESULTS = {"processed", "failed", "retried"};

  private final MeterRegistry registry;
  private final LongSupplier clockMillis;
  private final long[][] totals = new long[SLOTS][];
  private final long[] times = new long[SLOTS];
  private int next;
  private int size;
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("event-worker-throughput"));

  /** Counts processed, failed and retried events over one span of time ending {@code endMillis}. */
  public record Span(long endMillis, double seconds, long processed, long failed, long retried) {

    /** Events processed per second in this span. */
    public double processedPerSecond() {
      return seconds > 0 ? processed / seconds : 0;
    }
  }

  public ThroughputHistory(MeterRegistry registry, LongSupplier clockMillis) {
    this.registry = registry;
    this.clockMillis = clockMillis;
  }

  /** Takes a sample now and every {@value #STEP_SECONDS} seconds after, until closed. */
  public ThroughputHistory start() {
    scheduler.scheduleAtFixedRate(this::sample, 0, STEP_SECONDS, TimeUnit.SECONDS);
    return this;
  }

  /** Records the counters' totals as they are now. */
  public synchronized void sample() {
    totals[next] = current();
    times[next] = clockMillis.getAsLong();
    next = (next + 1) % SLOTS;
    size = Math.min(size + 1, SLOTS);
  }

  /**
   * The last minutes, newest first: spans of a minute of samples, the newest ending now (the
   * counters read at this call), the oldest reaching back to the first sample while the history is
   * shorter than {@value #MINUTES} minutes. Empty before the first sample.
   */
  public synchronized List<Span> minutes() {
    long[] endTotals = current();
    long endMillis = clockMillis.getAsLong();
    List<Span> spans = new ArrayList<>();
    // The newest sample is at most a step old, so the first span starts PER_MINUTE - 1 samples
    // before it and covers about a minute up to now.
    int back = PER_MINUTE - 1;
    while (size > 0 && spans.size() < MINUTES) {
      int slot = Math.floorMod(next - 1 - Math.min(back, size - 1), SLOTS);
      long[] start = totals[slot];
      spans.add(
          new Span(
              endMillis,
              (endMillis - times[slot]) / 1000.0,
              endTotals[0] - start[0],
              endTotals[1] - start[1],
              endTotals[2] - start[2]));
      if (back >= size - 1) {
        break;
      }
      endTotals = start;
      endMillis = times[slot];
      back += PER_MINUTE;
    }
    return spans;
  }

  private long[] current() {
    long[] sums = new long[RESULTS.length];
    for (int i = 0; i < RESULTS.length; i++) {
      for (Counter counter :
          registry.find(MicrometerWorkerMetrics.EVENTS).tag("result", RESULTS[i]).counters()) {
        sums[i] += (long) counter.count();
      }
    }
    return sums;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }
}
