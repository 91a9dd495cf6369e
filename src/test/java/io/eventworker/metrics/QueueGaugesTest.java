package io.eventworker.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
      rows.add(new QueueDepth("pending", "type-" + i, i, i * 10.0));
    }
    rows.add(new QueueDepth("failed", "type-1", 7, 0));
    List<QueueDepth> kept = QueueGauges.largestTypes(rows);
    assertEquals(52, kept.size(), "50 pending types, the pending rest, 1 failed");
    QueueDepth other =
        kept.stream().filter(r -> r.eventType().equals("(other)")).findFirst().orElseThrow();
    assertEquals("pending", other.status());
    assertEquals(55, other.count(), "types 1 to 10, the smallest");
    assertEquals(100.0, other.oldestAgeSeconds());
    assertEquals(
        7,
        kept.stream().filter(r -> r.status().equals("failed")).mapToLong(QueueDepth::count).sum());
  }
}
