package io.eventworker.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.metrics.ThroughputHistory.Span;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class ThroughputHistoryTest {

  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final MicrometerWorkerMetrics metrics = new MicrometerWorkerMetrics(registry);
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final ThroughputHistory history = new ThroughputHistory(registry, clock::get);

  @Test
  void emptyBeforeTheFirstSample() {
    assertEquals(List.of(), history.minutes());
  }

  @Test
  void theNewestSpanEndsNowAndCountsEveryResultOfEveryType() {
    metrics.handles(new String[] {"data_entry", "metric"});
    history.sample();
    clock.addAndGet(4_000);
    process("data_entry", 30);
    process("metric", 10);
    metrics.failed("metric", 3);
    metrics.retried("data_entry");
    List<Span> spans = history.minutes();
    assertEquals(List.of(new Span(1_004_000, 4.0, 40, 3, 1)), spans);
    assertEquals(10.0, spans.get(0).processedPerSecond());
  }

  @Test
  void oneSpanPerMinuteNewestFirstBackToTheFirstSample() {
    // 3.5 minutes of samples every 10 s, 6 events processed between each two.
    for (int step = 0; step <= 21; step++) {
      if (step > 0) {
        clock.addAndGet(ThroughputHistory.STEP_SECONDS * 1000L);
        process("data_entry", 6);
      }
      history.sample();
    }
    clock.addAndGet(5_000);
    process("data_entry", 2);
    List<Span> spans = history.minutes();
    // Ends: now, then the samples 5, 11 and 17 steps back, then the first sample (21 back).
    assertEquals(4, spans.size(), spans.toString());
    assertEquals(new Span(clock.get(), 55.0, 2 + 5 * 6, 0, 0), spans.get(0));
    assertEquals(60.0, spans.get(1).seconds());
    assertEquals(36, spans.get(1).processed());
    assertEquals(36, spans.get(2).processed());
    assertEquals(40.0, spans.get(3).seconds());
    assertEquals(24, spans.get(3).processed());
    assertEquals(21 * 6 + 2, spans.stream().mapToLong(Span::processed).sum(), "nothing lost");
    for (int i = 1; i < spans.size(); i++) {
      assertEquals(
          spans.get(i - 1).endMillis() - (long) (spans.get(i - 1).seconds() * 1000),
          spans.get(i).endMillis(),
          "spans meet");
    }
  }

  @Test
  void keepsFifteenMinutes() {
    for (int step = 0; step < 200; step++) {
      clock.addAndGet(ThroughputHistory.STEP_SECONDS * 1000L);
      process("metric", 1);
      history.sample();
    }
    List<Span> spans = history.minutes();
    assertEquals(ThroughputHistory.MINUTES, spans.size());
    double covered = spans.stream().mapToDouble(Span::seconds).sum();
    assertTrue(
        Math.abs(covered - Duration.ofMinutes(15).minusSeconds(10).toSeconds()) < 1e-9,
        "covered " + covered);
  }

  private void process(String type, int count) {
    for (int i = 0; i < count; i++) {
      metrics.processed(type, Duration.ofMillis(5));
    }
  }
}
