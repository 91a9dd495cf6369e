package io.eventworker.testing;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.WorkerConfig;
import io.eventworker.db.ConnectionPool;
import io.eventworker.metrics.WorkerMetrics;
import io.eventworker.worker.Handlers;
import io.eventworker.worker.Worker;
import io.eventworker.worker.WorkerFactory;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;

/** A {@link Worker} running in the test's JVM on its own pool; closing it drains and stops it. */
public final class RunningWorker implements AutoCloseable {

  private final HikariDataSource pool;
  private final Worker worker;

  private RunningWorker(
      WorkerConfig config, Handlers handlers, WorkerMetrics metrics, MeterRegistry registry) {
    this.pool = ConnectionPool.create(config, registry, ConnectionPool.Use.DAEMON);
    this.worker =
        WorkerFactory.create(
            config,
            pool,
            handlers,
            metrics,
            () -> ConnectionPool.openDedicated(config, ConnectionPool.Use.DAEMON));
    worker.start();
  }

  public static RunningWorker start(WorkerConfig config) {
    return new RunningWorker(config, Handlers.discover(), WorkerMetrics.NONE, null);
  }

  public static RunningWorker start(WorkerConfig config, Handlers handlers, WorkerMetrics metrics) {
    return new RunningWorker(config, handlers, metrics, null);
  }

  /** A worker whose pool reports to {@code registry}. */
  public static RunningWorker start(
      WorkerConfig config, WorkerMetrics metrics, MeterRegistry registry) {
    return new RunningWorker(config, Handlers.discover(), metrics, registry);
  }

  public HikariDataSource pool() {
    return pool;
  }

  public Worker worker() {
    return worker;
  }

  /** Stops like SIGTERM would; returns whether every thread ended in time. */
  public boolean stop(Duration timeout) {
    boolean drained = worker.stop(timeout);
    pool.close();
    return drained;
  }

  @Override
  public void close() {
    if (!pool.isClosed()) {
      stop(Duration.ofSeconds(10));
    }
  }
}
