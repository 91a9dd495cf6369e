package io.eventworker.worker;

import io.eventworker.runtime.DaemonThreads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processing side of the daemon: {@code WORKER_THREADS} claim loops and one insert listener
 * (none with POLL_ONLY), started together and drained together. {@link WorkerFactory} builds it.
 */
public final class Worker {

  private static final Logger log = LoggerFactory.getLogger(Worker.class);

  private final String[] types;
  private final int batchSize;
  // The bytes of payloads each thread's batch may hold (see PayloadBudget).
  private final long payloadBytes;
  private final Wakeup wakeup;
  // Null when polling only.
  private final InsertListener listener;
  private final Housekeeping housekeeping;
  private final List<ClaimLoop> loops;
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;

  Worker(
      String[] types,
      int batchSize,
      long payloadBytes,
      Wakeup wakeup,
      List<ClaimLoop> loops,
      InsertListener listener,
      Housekeeping housekeeping) {
    this.types = types.clone();
    this.batchSize = batchSize;
    this.payloadBytes = payloadBytes;
    this.wakeup = wakeup;
    this.loops = List.copyOf(loops);
    this.listener = listener;
    this.housekeeping = housekeeping;
  }

  /** Starts the listener and the claim loops. */
  public synchronized void start() {
    if (running || wakeup.isStopped()) {
      throw new IllegalStateException("a worker starts once");
    }
    for (int i = 0; i < loops.size(); i++) {
      threads.add(DaemonThreads.create(loops.get(i), "event-worker-" + (i + 1)));
    }
    if (listener != null) {
      threads.add(DaemonThreads.create(listener, "event-worker-listener"));
    }
    threads.forEach(Thread::start);
    housekeeping.start();
    running = true;
    log.info(
        "processing event types {} with {} threads{}, batches of up to {} events and {} MB of"
            + " large payloads each",
        String.join(", ", types),
        loops.size(),
        listener == null ? " polling only" : "",
        batchSize,
        String.format(Locale.ROOT, "%.1f", payloadBytes / (1024.0 * 1024)));
  }

  /** True from start until stop is called. */
  public boolean isRunning() {
    return running;
  }

  /**
   * Stops claiming, lets batches in hand commit or roll back, and waits for every thread up to
   * {@code timeout}. Returns true if all threads ended in time.
   */
  public synchronized boolean stop(Duration timeout) {
    running = false;
    wakeup.stop();
    housekeeping.close();
    if (threads.isEmpty()) {
      return true;
    }
    // Threads that are waiting or backing off are woken; those inside a batch finish it.
    for (int i = 0; i < loops.size(); i++) {
      if (!loops.get(i).inBatch()) {
        threads.get(i).interrupt();
      }
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Thread t : threads) {
      long left = deadline - System.nanoTime();
      try {
        t.join(Math.max(1, left / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    long alive = threads.stream().filter(Thread::isAlive).count();
    if (alive > 0) {
      log.warn(
          "{} worker threads still busy after {} ms; their transactions roll back on exit",
          alive,
          timeout.toMillis());
    }
    return alive == 0;
  }
}
