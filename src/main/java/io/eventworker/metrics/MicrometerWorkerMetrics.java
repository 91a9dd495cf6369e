package io.eventworker.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * {@link WorkerMetrics} on Micrometer. Meters are looked up once per event type and cached, so the
 * per-event cost is a map read and an increment.
 */
public final class MicrometerWorkerMetrics implements WorkerMetrics {

  static final String EVENTS = "eventworker.events";
  static final String HANDLER_DURATION = "eventworker.handler.duration";
  static final String EVENT_LATENCY = "eventworker.event.latency";
  static final String BATCH_DURATION = "eventworker.batch.duration";
  static final String BATCH_SIZE = "eventworker.batch.size";
  static final String LOOP_ERRORS = "eventworker.loop.errors";
  static final String DATABASE_RETRIES = "eventworker.database.retries";
  static final String HANDLER_INFO = "eventworker.handler.info";

  private final MeterRegistry registry;
  private final Map<String, Counter> processed = new ConcurrentHashMap<>();
  private final Map<String, Counter> retried = new ConcurrentHashMap<>();
  private final Map<String, Counter> failed = new ConcurrentHashMap<>();
  private final Map<String, Timer> handlerDuration = new ConcurrentHashMap<>();
  private final Map<String, Timer> latency = new ConcurrentHashMap<>();
  private final Map<String, Counter> loopErrors = new ConcurrentHashMap<>();
  private final Counter databaseRetries;
  private final Timer batchDuration;
  private final DistributionSummary batchSize;

  public MicrometerWorkerMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.batchDuration =
        Timer.builder(BATCH_DURATION)
            .description("Claim, handle and commit of one batch")
            .publishPercentileHistogram()
            .minimumExpectedValue(Duration.ofMillis(1))
            .maximumExpectedValue(Duration.ofSeconds(30))
            .register(registry);
    this.databaseRetries =
        Counter.builder(DATABASE_RETRIES)
            .description("Transient database errors retried with backoff")
            .register(registry);
    this.batchSize =
        DistributionSummary.builder(BATCH_SIZE)
            .description("Events claimed per non-empty batch")
            .register(registry);
  }

  /**
   * Exports the handled types (alerts tell a stuck worker from events no worker here handles) and
   * creates their counters at 0: a counter born at its first increment hides that increment from
   * rate().
   */
  @Override
  public void handles(String[] types) {
    for (String type : types) {
      Gauge.builder(HANDLER_INFO, () -> 1)
          .description("1 for each event type this worker has a handler for")
          .tag("type", type)
          .register(registry);
      events(processed, type, "processed");
      events(retried, type, "retried");
      events(failed, type, "failed");
    }
  }

  @Override
  public void handlerRan(String type, long nanos) {
    meter(
            handlerDuration,
            type,
            t ->
                Timer.builder(HANDLER_DURATION)
                    .description("One handler call, validation and row building")
                    .tag("type", t)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofNanos(1000))
                    .maximumExpectedValue(Duration.ofSeconds(1))
                    .register(registry))
        .record(nanos, TimeUnit.NANOSECONDS);
  }

  @Override
  public void processed(String type, Duration eventLatency) {
    events(processed, type, "processed").increment();
    if (eventLatency != null) {
      meter(
              latency,
              type,
              t ->
                  Timer.builder(EVENT_LATENCY)
                      .description("From the event's created_at to its processing being committed")
                      .tag("type", t)
                      .publishPercentileHistogram()
                      .minimumExpectedValue(Duration.ofMillis(1))
                      .maximumExpectedValue(Duration.ofHours(1))
                      .register(registry))
          .record(eventLatency.isNegative() ? Duration.ZERO : eventLatency);
    }
  }

  @Override
  public void retried(String type) {
    events(retried, type, "retried").increment();
  }

  @Override
  public void failed(String type, long count) {
    events(failed, type, "failed").increment(count);
  }

  @Override
  public void batchCompleted(int size, long nanos) {
    batchDuration.record(nanos, TimeUnit.NANOSECONDS);
    batchSize.record(size);
  }

  @Override
  public void databaseRetried() {
    databaseRetries.increment();
  }

  @Override
  public void loopError(String kind) {
    meter(
            loopErrors,
            kind,
            k ->
                Counter.builder(LOOP_ERRORS)
                    .description("Errors caught by the worker loop")
                    .tag("kind", k)
                    .register(registry))
        .increment();
  }

  private Counter events(Map<String, Counter> cache, String type, String result) {
    return meter(
        cache,
        type,
        t ->
            Counter.builder(EVENTS)
                .description("Events handled, by type and result")
                .tag("type", t)
                .tag("result", result)
                .register(registry));
  }

  private static <M> M meter(Map<String, M> cache, String key, Function<String, M> create) {
    M meter = cache.get(key);
    return meter != null ? meter : cache.computeIfAbsent(key, create);
  }
}
