package io.eventworker.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The worker processes of one benchmark case, read and stopped together. */
final class WorkerGroup implements AutoCloseable {

  private final List<WorkerInstance> processes = new ArrayList<>();

  static WorkerGroup start(BenchDatabase db, Benchmark.Options o) throws IOException {
    return start(db, o, Map.of());
  }

  static WorkerGroup start(BenchDatabase db, Benchmark.Options o, Map<String, String> settings)
      throws IOException {
    WorkerGroup workers = new WorkerGroup();
    try {
      for (int i = 0; i < o.replicas(); i++) {
        workers.processes.add(
            WorkerInstance.start(db, o.threads(), o.batchSize(), o.workerMemory(), settings));
      }
    } catch (IOException e) {
      workers.close();
      throw e;
    }
    return workers;
  }

  /** A group of one process started elsewhere; closing the group stops it. */
  static WorkerGroup of(WorkerInstance worker) {
    WorkerGroup group = new WorkerGroup();
    group.processes.add(worker);
    return group;
  }

  /** How many worker processes the group has (some may have been stopped). */
  int size() {
    return processes.size();
  }

  /** The {@code i}-th process. */
  WorkerInstance get(int i) {
    return processes.get(i);
  }

  long handled() throws IOException {
    return (long) sum(WorkerInstance::handled);
  }

  long processed() throws IOException {
    return (long) sum(WorkerInstance::processed);
  }

  boolean awaitProcessed(long total, Duration timeout) throws IOException {
    return await(this::processed, total, timeout);
  }

  /**
   * Waits until the workers have handled {@code total} events. Each scrape of /metrics costs the
   * workers CPU, so the wait is half the estimated time left, between 5 and 250 ms: a few dozen
   * scrapes a run, and the end seen within 5 ms.
   */
  boolean awaitHandled(long total, Duration timeout) throws IOException {
    return await(this::handled, total, timeout);
  }

  /** A count the workers export, read through /metrics. */
  private interface Count {
    long get() throws IOException;
  }

  private static boolean await(Count count, long total, Duration timeout) throws IOException {
    long start = System.nanoTime();
    long deadline = start + timeout.toNanos();
    long first = count.get();
    long current = first;
    while (current < total) {
      long now = System.nanoTime();
      if (now > deadline) {
        return false;
      }
      double rate = (current - first) / Math.max(1e-3, (now - start) / 1e9);
      long wait = rate <= 0 ? 50 : (long) ((total - current) / rate * 500);
      WorkerInstance.sleep(Math.max(5, Math.min(250, wait)));
      current = count.get();
    }
    return true;
  }

  double cpuSeconds() throws IOException {
    return sum(WorkerInstance::cpuSeconds);
  }

  double compilerSeconds() throws IOException {
    return sum(WorkerInstance::compilerSeconds);
  }

  double peakResidentMegabytes() throws IOException {
    double max = 0;
    for (WorkerInstance w : processes) {
      max = Math.max(max, w.peakResidentMegabytes());
    }
    return max;
  }

  /** A figure one worker process reports. */
  private interface Figure {
    double of(WorkerInstance w) throws IOException;
  }

  private double sum(Figure figure) throws IOException {
    double total = 0;
    for (WorkerInstance w : processes) {
      total += figure.of(w);
    }
    return total;
  }

  @Override
  public void close() throws IOException {
    for (WorkerInstance w : processes) {
      w.close();
    }
  }
}
