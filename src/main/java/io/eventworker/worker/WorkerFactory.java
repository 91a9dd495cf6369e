package io.eventworker.worker;

import io.eventworker.config.OrderedEventTypes;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.ConnectionFactory;
import io.eventworker.db.DatabaseRetry;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.PayloadBudget;
import io.eventworker.runtime.Backoff;
import io.github.resilience4j.retry.Retry;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;
import javax.sql.DataSource;

/**
 * Builds a {@link Worker} from its configuration: the one place that chooses its repository, clock,
 * random source and payload budget, and wires its claim loops, listener and housekeeping.
 */
public final class WorkerFactory {

  // Transient database errors: retried this many times inside one loop turn before the loop
  // itself pauses and starts over, so an outage of any length is waited out.
  private static final int DB_RETRY_ATTEMPTS = 8;

  private WorkerFactory() {}

  /**
   * A worker running {@code handlers} on {@code dataSource}; its insert listener opens its own
   * connections from {@code listenerConnections}.
   */
  public static Worker create(
      WorkerConfig config,
      DataSource dataSource,
      Handlers handlers,
      WorkerMetrics metrics,
      ConnectionFactory listenerConnections) {
    return create(
        config,
        dataSource,
        handlers,
        metrics,
        listenerConnections,
        new EventRepository(),
        Clock.systemUTC(),
        () -> ThreadLocalRandom.current().nextDouble());
  }

  static Worker create(
      WorkerConfig config,
      DataSource dataSource,
      Handlers handlers,
      WorkerMetrics metrics,
      ConnectionFactory listenerConnections,
      EventRepository repository,
      Clock clock,
      DoubleSupplier random) {
    OrderedEventTypes.requireHandled(config.orderedEventTypes(), List.of(handlers.types()));
    metrics.handles(handlers.types());
    long payloadBytes =
        PayloadBudget.perThread(Runtime.getRuntime().maxMemory(), config.workerThreads());
    Backoff backoff =
        new Backoff(
            config.retryBackoff(), config.retryBackoffMax(), Backoff.Jitter.QUARTER, random);
    BatchProcessor processor =
        new BatchProcessor(
            dataSource,
            repository,
            handlers,
            payloadBytes,
            config.maxAttempts(),
            backoff,
            metrics,
            clock,
            config.orderedEventTypes());
    Wakeup wakeup = new Wakeup(config.workerThreads());
    AtomicBoolean outage = new AtomicBoolean();
    List<ClaimLoop> loops = new ArrayList<>();
    for (int i = 0; i < config.workerThreads(); i++) {
      Retry retry =
          DatabaseRetry.transientErrors(
              "worker-" + (i + 1),
              config.dbRetryBackoff(),
              config.dbRetryBackoffMax(),
              DB_RETRY_ATTEMPTS);
      retry.getEventPublisher().onRetry(e -> metrics.databaseRetried());
      loops.add(
          new ClaimLoop(
              processor,
              new ClaimLimit(config.batchSize()),
              retry,
              wakeup,
              config.pollInterval(),
              config.dbRetryBackoffMax(),
              metrics,
              outage));
    }
    // POLL_ONLY: no LISTEN connection; idle threads look for work every POLL_INTERVAL.
    InsertListener listener =
        config.pollOnly()
            ? null
            : new InsertListener(
                listenerConnections, wakeup, config.dbRetryBackoff(), config.dbRetryBackoffMax());
    Housekeeping housekeeping = new Housekeeping(config, dataSource, handlers, metrics);
    return new Worker(
        handlers.types(), config.batchSize(), payloadBytes, wakeup, loops, listener, housekeeping);
  }
}
