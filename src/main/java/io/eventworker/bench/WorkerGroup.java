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

  static WorkerGroup start(BenchDatabase db, Benchmark.Options o, Map<String, String> settings) throws IOException {
    WorkerGroup workers = new WorkerGroup();
    try {
      for (int i = 0; i < o.replicas(); i++) {
        workers.processes.add(WorkerInstance.start(db, o.threads(), o.batchSize(), o.workerMemory(), settings));
      }
    } catch (IOException e) {
      workers.close();
      throw e;
    }
    return workers;
  }

  long handled() throws IOException {
    long total = 0;
    for (WorkerInstance w : processes) {
      total += w.handled();
    }
    return total;
  }

  long processed() throws IOException {
    long total = 0;
    for (WorkerInstance w : processes) {
      total += w.processed();
    }
    return total;
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
    double total = 0;
    for (WorkerInstance w : processes) {
      total += w.cpuSeconds();
    }
    return total;
  }

  double compilerSeconds() throws IOException {
    double total = 0;
    for (WorkerInstance w : processes) {
      total += w.compilerSeconds();
    }
    return total;
  }

  double peakResidentMegabytes() throws IOException {
    double max = 0;
    for (WorkerInstance w : processes) {
      max = Math.max(max, w.peakResidentMegabytes());
    }
    return max;
  }

  @Override
  public void close() throws IOException {
    for (WorkerInstance w : processes) {
      w.close();
    }
  }
}
