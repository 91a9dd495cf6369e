package io.eventworker.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.queue.QueueReports.QueueDepth;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class QueueGaugesTest {

  @Test
  void keepsTheLargestTypesAndSumsTheRest() {
    List<QueueDepth> rows = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      rows.add(new QueueDepth("pending", "type-" + i, i, i % 2, i * 10.0, 1000.0 - i));
    }
    rows.add(new QueueDepth("failed", "type-1", 7, 0, null, null));
    List<QueueDepth> kept = QueueGauges.largestTypes(rows, type -> false);
    assertEquals(52, kept.size(), "50 pending types, the pending rest, 1 failed");
    QueueDepth other =
        kept.stream().filter(r -> r.eventType().equals("(other)")).findFirst().orElseThrow();
    assertEquals("pending", other.status());
    assertEquals(55, other.count(), "types 1 to 10, the smallest");
    assertEquals(5, other.scheduled(), "the odd ones of types 1 to 10");
    assertEquals(100.0, other.oldestDueAgeSeconds());
    assertEquals(990.0, other.nextDueInSeconds());
    assertEquals(
        7,
        kept.stream().filter(r -> r.status().equals("failed")).mapToLong(QueueDepth::count).sum());
  }

  @Test
  void keepsTheHandledTypesHoweverSmall() {
    List<QueueDepth> rows = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      rows.add(new QueueDepth("pending", "type-" + i, i, 0, null, null));
    }
    List<QueueDepth> kept = QueueGauges.largestTypes(rows, type -> type.equals("type-1"));
    assertTrue(kept.stream().anyMatch(r -> r.eventType().equals("type-1")), kept.toString());
    QueueDepth other =
        kept.stream().filter(r -> r.eventType().equals("(other)")).findFirst().orElseThrow();
    assertEquals(54, other.count(), "types 2 to 10: the 50 largest unhandled stay apart");
    assertEquals(null, other.oldestDueAgeSeconds());
  }
}
