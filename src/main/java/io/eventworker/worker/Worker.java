package io.eventworker.worker;

import io.eventworker.runtime.DaemonThreads;
import io.eventworker.runtime.Backoff;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.ConnectionFactory;
import io.eventworker.db.DatabaseRetry;
import io.eventworker.handler.Handlers;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.PayloadBudget;
import io.github.resilience4j.retry.Retry;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processing side of the daemon: {@code WORKER_THREADS} claim loops and one insert listener,
 * started together and drained together.
 */
public final class Worker {

  private static final Logger log = LoggerFactory.getLogger(Worker.class);
  // Transient database errors: retried this many times inside one loop turn before the loop
  // itself pauses and starts over, so an outage of any length is waited out.
  private static final int DB_RETRY_ATTEMPTS = 8;

  private final WorkerConfig config;
  private final Handlers handlers;
  private final Wakeup wakeup;
  private final InsertListener listener;
  private final Housekeeping housekeeping;
  private final List<ClaimLoop> loops = new ArrayList<>();
  private final List<Thread> threads = new ArrayList<>();
  private volatile boolean running;
  // The bytes of payloads each thread's batch may hold (see PayloadBudget).
  private final long payloadBytes;

  public Worker(
      WorkerConfig config,
      DataSource dataSource,
      Handlers handlers,
      WorkerMetrics metrics,
      ConnectionFactory listenerConnections) {
    this.config = config;
    this.handlers = handlers;
    this.wakeup = new Wakeup(config.workerThreads());
    metrics.handles(handlers.types());
    this.payloadBytes = PayloadBudget.perThread(Runtime.getRuntime().maxMemory(), config.workerThreads());
    BatchProcessor processor =
        new BatchProcessor(
            dataSource,
            new EventRepository(),
            handlers,
            config.batchSize(),
            payloadBytes,
            config.maxAttempts(),
            Backoff.of(config.retryBackoff(), config.retryBackoffMax(), Backoff.Jitter.QUARTER),
            metrics,
            Clock.systemUTC());
    AtomicBoolean outage = new AtomicBoolean();
    for (int i = 0; i < config.workerThreads(); i++) {
      Retry retry =
          DatabaseRetry.transientErrors(
              "worker-" + (i + 1), config.dbRetryBackoff(), config.dbRetryBackoffMax(), DB_RETRY_ATTEMPTS);
      retry.getEventPublisher().onRetry(e -> metrics.databaseRetried());
      loops.add(
          new ClaimLoop(
              processor,
              retry,
              wakeup,
              config.pollInterval(),
              config.dbRetryBackoffMax(),
              metrics,
              outage));
    }
    this.listener =
        new InsertListener(listenerConnections, wakeup, config.dbRetryBackoff(), config.dbRetryBackoffMax());
    this.housekeeping = new Housekeeping(config, dataSource, handlers, metrics);
  }

  /** Starts the listener and the claim loops. */
  public synchronized void start() {
    if (running || wakeup.isStopped()) {
      throw new IllegalStateException("a worker starts once");
    }
    threads.add(DaemonThreads.create(listener, "event-worker-listener"));
    for (int i = 0; i < loops.size(); i++) {
      threads.add(DaemonThreads.create(loops.get(i), "event-worker-" + (i + 1)));
    }
    threads.forEach(Thread::start);
    housekeeping.start();
    running = true;
    log.info(
        "processing event types {} with {} threads, batches of up to {} events and {} MB of large payloads each",
        String.join(", ", handlers.types()), loops.size(), config.batchSize(),
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
        threads.get(i + 1).interrupt();
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
      log.warn("{} worker threads still busy after {} ms; their transactions roll back on exit", alive, timeout.toMillis());
    }
    return alive == 0;
  }
}
