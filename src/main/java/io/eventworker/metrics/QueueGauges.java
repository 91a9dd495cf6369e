package io.eventworker.metrics;

import io.eventworker.db.Transactions;
import io.eventworker.queue.QueueReports;
import io.eventworker.queue.QueueReports.QueueDepth;
import io.eventworker.runtime.DaemonThreads;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queue depth (pending and failed, by type), the scheduled events (pending, not yet due), how late
 * the oldest due event is (types handled here apart from the others) and the events table's health,
 * as gauges. Two queries every interval on a background thread feed them, so a scrape never touches
 * the database.
 */
public final class QueueGauges implements AutoCloseable {

  static final String DEPTH = "eventworker.queue.depth";
  static final String SCHEDULED = "eventworker.queue.scheduled";
  static final String OLDEST_PENDING_AGE = "eventworker.queue.oldest.pending.age";
  static final String UNHANDLED_OLDEST_AGE = "eventworker.queue.unhandled.oldest.age";
  static final String TABLE_ROWS = "eventworker.events.table.rows";
  static final String OLDEST_TRANSACTION_AGE = "eventworker.oldest.transaction.age";

  static final int MAX_TYPES = 50;
  static final String OTHER_TYPES = "(other)";

  private static final Logger log = LoggerFactory.getLogger(QueueGauges.class);

  private final MeterRegistry registry;
  private final DataSource dataSource;
  private final QueueReports reports;
  private final Predicate<String> handled;
  // Micrometer holds gauges' values weakly: these maps are the strong references. Keys of the
  // per-type maps are the metric's name and the type.
  private final Map<List<String>, GaugeValue> depth = new ConcurrentHashMap<>();
  private final Map<List<String>, GaugeValue> perType = new ConcurrentHashMap<>();
  private final GaugeValue liveRows = new GaugeValue();
  private final GaugeValue deadRows = new GaugeValue();
  private final GaugeValue oldestTransaction = new GaugeValue();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("event-worker-queue-gauges"));
  private volatile boolean failing;

  /**
   * Gauges of the queue in {@code dataSource}; {@code handled} tells the types this worker handles,
   * whose oldest due event is the oldest-pending age (the others' is a gauge of its own).
   */
  public QueueGauges(
      MeterRegistry registry,
      DataSource dataSource,
      QueueReports reports,
      Predicate<String> handled) {
    this.registry = registry;
    this.dataSource = dataSource;
    this.reports = reports;
    this.handled = handled;
    // Bloat coming: dead row versions pile up while a long transaction keeps vacuum away.
    Gauge.builder(TABLE_ROWS, liveRows, GaugeValue::get)
        .description("Row versions in the events table, live or dead (waiting for vacuum)")
        .tag("state", "live")
        .register(registry);
    Gauge.builder(TABLE_ROWS, deadRows, GaugeValue::get)
        .description("Row versions in the events table, live or dead (waiting for vacuum)")
        .tag("state", "dead")
        .register(registry);
    Gauge.builder(OLDEST_TRANSACTION_AGE, oldestTransaction, GaugeValue::get)
        .description(
            "Age of the oldest open transaction in the database; vacuum cannot clean behind it")
        .baseUnit("seconds")
        .register(registry);
  }

  public void start(Duration interval) {
    scheduler.scheduleWithFixedDelay(this::refresh, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Reads the queue once and updates every gauge; failures keep the last values. */
  public void refresh() {
    List<QueueDepth> rows;
    QueueReports.TableHealth health;
    try {
      record Reading(List<QueueDepth> rows, QueueReports.TableHealth health) {}
      Reading reading =
          Transactions.read(
              dataSource, c -> new Reading(reports.queueDepth(c), reports.tableHealth(c)));
      rows = reading.rows();
      health = reading.health();
    } catch (Exception e) {
      if (!failing) {
        log.warn("cannot read queue depth, gauges keep their last values: {}", e.toString());
        failing = true;
      }
      return;
    }
    failing = false;
    liveRows.set(health.liveTuples());
    deadRows.set(health.deadTuples());
    oldestTransaction.set(health.oldestTransactionAgeSeconds());
    Set<List<String>> seen = new HashSet<>();
    Set<List<String>> seenPerType = new HashSet<>();
    for (QueueDepth row : largestTypes(rows, handled)) {
      seen.add(List.of(row.status(), row.eventType()));
      depthGauge(row.status(), row.eventType()).set(row.count());
      if ("pending".equals(row.status())) {
        String type = row.eventType();
        String age = handled.test(type) ? OLDEST_PENDING_AGE : UNHANDLED_OLDEST_AGE;
        setPerType(seenPerType, SCHEDULED, type, row.scheduled());
        Double oldest = row.oldestDueAgeSeconds();
        setPerType(seenPerType, age, type, oldest == null ? 0 : oldest);
      }
    }
    // A type whose events are all gone reads 0 rather than its last count.
    depth.forEach(
        (key, value) -> {
          if (!seen.contains(key)) {
            value.set(0);
          }
        });
    perType.forEach(
        (key, value) -> {
          if (!seenPerType.contains(key)) {
            value.set(0);
          }
        });
  }

  private void setPerType(Set<List<String>> seen, String name, String type, double value) {
    List<String> key = List.of(name, type);
    seen.add(key);
    perType.computeIfAbsent(key, k -> register(name, type)).set(value);
  }

  /**
   * The rows of the types handled here, and of the {@value #MAX_TYPES} largest other types of each
   * status, the rest summed into type {@value #OTHER_TYPES}: event types come from producers, and a
   * gauge per type they invent would flood Prometheus.
   */
  static List<QueueDepth> largestTypes(List<QueueDepth> rows, Predicate<String> handled) {
    List<QueueDepth> kept = new ArrayList<>();
    Map<String, QueueDepth> other = new TreeMap<>();
    Map<String, Integer> perStatus = new HashMap<>();
    List<QueueDepth> bySize = new ArrayList<>(rows);
    bySize.sort(Comparator.comparingLong(QueueDepth::count).reversed());
    for (QueueDepth row : bySize) {
      if (handled.test(row.eventType())
          || perStatus.merge(row.status(), 1, Integer::sum) <= MAX_TYPES) {
        kept.add(row);
      } else {
        other.merge(
            row.status(),
            new QueueDepth(
                row.status(),
                OTHER_TYPES,
                row.count(),
                row.scheduled(),
                row.oldestDueAgeSeconds(),
                row.nextDueInSeconds()),
            (a, b) -> QueueDepth.merged(OTHER_TYPES, a, b));
      }
    }
    kept.addAll(other.values());
    return kept;
  }

  private GaugeValue depthGauge(String status, String type) {
    return depth.computeIfAbsent(
        List.of(status, type),
        key -> {
          GaugeValue value = new GaugeValue();
          Gauge.builder(DEPTH, value, GaugeValue::get)
              .description("Events waiting (pending) or given up on (failed), by type")
              .tag("status", status)
              .tag("type", type)
              .register(registry);
          return value;
        });
  }

  private GaugeValue register(String name, String type) {
    GaugeValue value = new GaugeValue();
    Gauge.Builder<GaugeValue> gauge = Gauge.builder(name, value, GaugeValue::get).tag("type", type);
    switch (name) {
      case SCHEDULED ->
          gauge.description("Pending events not yet due (run_at later: scheduled, or a retry)");
      case OLDEST_PENDING_AGE ->
          gauge
              .description(
                  "How long the oldest due pending event of a type handled here has waited since"
                      + " it fell due")
              .baseUnit("seconds");
      default ->
          gauge
              .description(
                  "How long the oldest due pending event of a type with no handler here has"
                      + " waited since it fell due")
              .baseUnit("seconds");
    }
    gauge.register(registry);
    return value;
  }

  @Override
  public void close() {
    scheduler.shutdownNow();
  }

  /** A mutable number a gauge can read. */
  private static final class GaugeValue {
    private volatile double value;

    double get() {
      return value;
    }

    void set(double newValue) {
      value = newValue;
    }
  }
}
