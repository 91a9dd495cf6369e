package io.eventworker.cli;

import com.zaxxer.hikari.HikariDataSource;
import io.eventworker.config.WorkerConfig;
import io.eventworker.console.Console;
import io.eventworker.console.ConsoleReadings;
import io.eventworker.db.ConnectionPool;
import io.eventworker.db.DatabaseErrors;
import io.eventworker.db.Migrations;
import io.eventworker.db.Transactions;
import io.eventworker.metrics.HttpEndpoint;
import io.eventworker.metrics.MicrometerWorkerMetrics;
import io.eventworker.metrics.QueueGauges;
import io.eventworker.metrics.ReadinessCheck;
import io.eventworker.metrics.ThroughputHistory;
import io.eventworker.queue.OrderedClaims;
import io.eventworker.queue.QueueReports;
import io.eventworker.runtime.Backoff;
import io.eventworker.worker.Handlers;
import io.eventworker.worker.WarmUp;
import io.eventworker.worker.Worker;
import io.eventworker.worker.WorkerFactory;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;
import sun.misc.Signal;

/** {@code event-worker run}: the daemon, until SIGTERM or SIGINT. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    description = {
      "Runs the worker until SIGTERM or SIGINT.",
      "It claims pending events in batches, runs their handlers and marks them processed,"
          + " serving the console (/), /metrics, /health/live and /health/ready on HTTP_PORT."
          + " On SIGTERM it stops claiming, finishes the batches in hand and exits 0."
    })
final class RunCommand implements java.util.concurrent.Callable<Integer> {

  private static final Logger log = LoggerFactory.getLogger(RunCommand.class);

  @ParentCommand Main main;

  private final CountDownLatch stopRequested = new CountDownLatch(1);

  @Override
  public Integer call() throws Exception {
    WorkerConfig config = main.config();
    Handlers handlers = Handlers.discover();
    Signal.handle(new Signal("TERM"), s -> stopRequested.countDown());
    Signal.handle(new Signal("INT"), s -> stopRequested.countDown());
    log.info("starting: {}", config);

    PrometheusMeterRegistry registry = meterRegistry();
    try (HikariDataSource dataSource =
        ConnectionPool.create(config, registry, ConnectionPool.Use.DAEMON)) {
      Worker worker =
          WorkerFactory.create(
              config,
              dataSource,
              handlers,
              new MicrometerWorkerMetrics(registry),
              () -> ConnectionPool.openDedicated(config, ConnectionPool.Use.DAEMON));
      Supplier<String> readiness =
          new ReadinessCheck(
              dataSource,
              () ->
                  worker.isRunning()
                      ? null
                      : stopRequested.getCount() == 0 ? "shutting down" : "starting");
      // The same check as /health/ready, for alerting: Prometheus cannot read HTTP status codes.
      Gauge.builder("eventworker.ready", () -> readiness.get() == null ? 1 : 0)
          .description("1 when the worker is running and its database answers, else 0")
          .register(registry);
      try (Console console = console(config, dataSource, registry, handlers);
          HttpEndpoint http = endpoint(config, registry, readiness, console);
          QueueGauges gauges = queueGauges(registry, dataSource, handlers)) {
        log.info("serving /, /metrics and /health on {}:{}", config.httpHost(), http.port());
        warmUp(config, handlers);
        if (!awaitCurrentSchema(dataSource, config, handlers)) {
          return stopRequested.getCount() == 0 ? 0 : Main.FAILED;
        }
        warnIfAutovacuumIsOff(dataSource);
        gauges.start(config.queueMetricsInterval());
        worker.start();
        stopRequested.await();
        log.info("stop requested: finishing the batches in hand");
        boolean drained = worker.stop(config.shutdownTimeout());
        log.info(
            drained
                ? "all batches finished, closing"
                : "closing with batches unfinished (rolled back)");
      }
    }
    log.info("stopped");
    return 0;
  }

  /** The queue gauges, which tell the types handled here from the others. */
  private static QueueGauges queueGauges(
      PrometheusMeterRegistry registry, HikariDataSource dataSource, Handlers handlers) {
    return new QueueGauges(
        registry, dataSource, new QueueReports(), type -> handlers.forType(type) != null);
  }

  /**
   * Runs the handlers on synthetic events before the worker reports ready, so that a replica
   * started during a burst has its hot path compiled sooner (WARM_UP_EVENTS; docs/SCALING.md).
   */
  private static void warmUp(WorkerConfig config, Handlers handlers) {
    if (config.warmUpEvents() > 0) {
      long started = System.nanoTime();
      int batches = Math.max(1, config.warmUpEvents() / config.batchSize());
      new WarmUp(handlers).run(batches, Math.min(config.batchSize(), config.warmUpEvents()));
      log.info("warmed up on synthetic events in {} ms", (System.nanoTime() - started) / 1_000_000);
    }
  }

  /** The HTTP endpoint, serving: the console, the metrics, liveness and readiness. */
  private HttpEndpoint endpoint(
      WorkerConfig config,
      PrometheusMeterRegistry registry,
      Supplier<String> readiness,
      Console console)
      throws java.io.IOException {
    return new HttpEndpoint(
            config.httpHost(),
            config.httpPort(),
            registry,
            () -> stopRequested.getCount() == 0 ? "shutting down" : null,
            readiness)
        .withConsole(console)
        .start();
  }

  /** The read-only page at {@code GET /} (docs/CONSOLE.md), with its throughput sampler running. */
  private static Console console(
      WorkerConfig config,
      HikariDataSource dataSource,
      PrometheusMeterRegistry registry,
      Handlers handlers) {
    String replica;
    try {
      replica = java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      replica = "(unnamed host)";
    }
    return new Console(
        new ConsoleReadings(dataSource, config.consoleShowPayloads(), System::nanoTime),
        new ThroughputHistory(registry, System::currentTimeMillis).start(),
        Set.of(handlers.types()),
        replica);
  }

  /** Prometheus' registry with the JVM's own meters bound. */
  private static PrometheusMeterRegistry meterRegistry() {
    PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    new JvmMemoryMetrics().bindTo(registry);
    new JvmGcMetrics().bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    return registry;
  }

  /** A warning only: a database lost meanwhile is the worker's to wait out, not start-up's. */
  private static void warnIfAutovacuumIsOff(HikariDataSource dataSource) {
    try {
      if (!Transactions.read(dataSource, AutovacuumSetting::isOn)) {
        log.warn(AutovacuumSetting.OFF_WARNING);
      }
    } catch (java.sql.SQLException e) {
      log.debug("could not read the autovacuum setting: {}", e.toString());
    }
  }

  /**
   * Waits, with backoff, until the database answers, then checks that it has every migration.
   * Returns false if it is missing some (the daemon must not run on a schema it does not know) or
   * if a stop was requested meanwhile.
   */
  private boolean awaitCurrentSchema(
      HikariDataSource dataSource, WorkerConfig config, Handlers handlers)
      throws InterruptedException, java.sql.SQLException {
    Backoff backoff =
        Backoff.of(config.dbRetryBackoff(), config.dbRetryBackoffMax(), Backoff.Jitter.NONE);
    int failures = 0;
    boolean warned = false;
    while (stopRequested.getCount() > 0) {
      try {
        String pending =
            new Migrations(dataSource, handlers.migrationLocations()).pendingDescription();
        if (pending == null) {
          return orderedIndexReady(dataSource, config);
        }
        log.error("the database lacks migrations {}: run `event-worker migrate` first", pending);
        return false;
      } catch (RuntimeException | java.sql.SQLException e) {
        if (!DatabaseErrors.isTransient(e)) {
          throw e;
        }
        if (!warned) {
          log.warn(
              "waiting for the database at {}: {}",
              config.database().hostAndPort(),
              DatabaseErrors.reason(e));
          warned = true;
        }
        stopRequested.await(backoff.delayMillis(++failures), TimeUnit.MILLISECONDS);
      }
    }
    return false;
  }

  /**
   * False, with the reason logged, if types are to be ordered and the index their claims walk was
   * dropped (docs/ORDERING.md): without it every such claim would scan the type's pending events.
   */
  private static boolean orderedIndexReady(HikariDataSource dataSource, WorkerConfig config)
      throws java.sql.SQLException {
    if (config.orderedEventTypes().isEmpty()) {
      return true;
    }
    try (java.sql.Connection c = dataSource.getConnection()) {
      boolean ready = OrderedClaims.indexReady(c);
      c.rollback();
      if (!ready) {
        log.error(
            "ORDERED_EVENT_TYPES needs the index {}, which this database lacks or has invalid:"
                + " run migrate with ORDERED_EVENT_TYPES set, which builds it (docs/ORDERING.md)",
            OrderedClaims.INDEX);
      }
      return ready;
    }
  }
}
