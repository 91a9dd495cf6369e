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
import javax.sql.DataSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Queue depth (pending and failed, by type), the oldest pending event's age and the events table's
 * health, as gauges. Two queries every interval on a background thread feed them, so a scrape never
 * touches the database.
 */
public final class QueueGauges implements AutoCloseable {

  static final String DEPTH = "eventworker.queue.depth";
  static final String OLDEST_PENDING_AGE = "eventworker.queue.oldest.pending.age";
  static final String TABLE_ROWS = "eventworker.events.table.rows";
  static final String OLDEST_TRANSACTION_AGE = "eventworker.oldest.transaction.age";

  static final int MAX_TYPES = 50;
  static final String OTHER_TYPES = "(other)";

  private static final Logger log = LoggerFactory.getLogger(QueueGauges.class);

  private final MeterRegistry registry;
  private final DataSource dataSource;
  private final QueueReports reports;
  // Micrometer holds gauges' values weakly: these maps are the strong references.
  private final Map<List<String>, GaugeValue> depth = new ConcurrentHashMap<>();
  private final Map<String, GaugeValue> oldestAge = new ConcurrentHashMap<>();
  private final GaugeValue liveRows = new GaugeValue();
  private final GaugeValue deadRows = new GaugeValue();
  private final GaugeValue oldestTransaction = new GaugeValue();
  private final ScheduledExecutorService scheduler =
      Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("event-worker-queue-gauges"));
  private volatile boolean failing;

  public QueueGauges(MeterRegistry registry, DataSource dataSource, QueueReports reports) {
    this.registry = registry;
    this.dataSource = dataSource;
    this.reports = reports;
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
    Set<String> seenPending = new HashSet<>();
    for (QueueDepth row : largestTypes(rows)) {
      seen.add(List.of(row.status(), row.eventType()));
      depthGauge(row.status(), row.eventType()).set(row.count());
      if ("pending".equals(row.status())) {
        seenPending.add(row.eventType());
        oldestAgeGauge(row.eventType()).set(row.oldestAgeSeconds());
      }
    }
    // A type whose events are all gone reads 0 rather than its last count.
    depth.forEach(
        (key, value) -> {
          if (!seen.contains(key)) {
            value.set(0);
          }
        });
    oldestAge.forEach(
        (type, value) -> {
          if (!seenPending.contains(type)) {
            value.set(0);
          }
        });
  }

  /**
   * The rows of the {@value #MAX_TYPES} largest types of each status, the rest summed into type
   * {@value #OTHER_TYPES}: event types come from producers, and a gauge per type they invent would
   * flood Prometheus.
   */
  static List<QueueDepth> largestTypes(List<QueueDepth> rows) {
    List<QueueDepth> kept = new ArrayList<>();
    Map<String, QueueDepth> other = new TreeMap<>();
    Map<String, Integer> perStatus = new HashMap<>();
    List<QueueDepth> bySize = new ArrayList<>(rows);
    bySize.sort(Comparator.comparingLong(QueueDepth::count).reversed());
    for (QueueDepth row : bySize) {
      if (perStatus.merge(row.status(), 1, Integer::sum) <= MAX_TYPES) {
        kept.add(row);
      } else {
        other.merge(
            row.status(),
            new QueueDepth(row.status(), OTHER_TYPES, row.count(), row.oldestAgeSeconds()),
            (a, b) ->
                new QueueDepth(
                    a.status(),
                    OTHER_TYPES,
                    a.count() + b.count(),
                    Math.max(a.oldestAgeSeconds(), b.oldestAgeSeconds())));
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

  private GaugeValue oldestAgeGauge(String type) {
    return oldestAge.computeIfAbsent(
        type,
        key -> {
          GaugeValue value = new GaugeValue();
          Gauge.builder(OLDEST_PENDING_AGE, value, GaugeValue::get)
              .description("Age of the oldest pending event, by type")
              .baseUnit("seconds")
              .tag("type", type)
              .register(registry);
          return value;
        });
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
