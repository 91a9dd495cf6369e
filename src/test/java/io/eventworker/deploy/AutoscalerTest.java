package io.eventworker.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The HPA's rule and KEDA's activation at their edges, and a burst through both. */
@Tag("unit")
class AutoscalerTest {

  private static final Autoscaler.Settings S = Autoscaler.Settings.MANIFEST;

  @Test
  void theRuleIsTheCeilingOfMetricOverTargetClampedToOneAndMax() {
    assertEquals(1, Autoscaler.desired(S, 0, 1), "the HPA never asks for fewer than one");
    assertEquals(1, Autoscaler.desired(S, 1, 3));
    assertEquals(1, Autoscaler.desired(S, 2_000, 3));
    assertEquals(2, Autoscaler.desired(S, 2_001, 3));
    assertEquals(2, Autoscaler.desired(S, 4_000, 3));
    assertEquals(8, Autoscaler.desired(S, 16_000, 1));
    assertEquals(8, Autoscaler.desired(S, 1_000_000, 1), "clamped to maxReplicaCount");
  }

  @Test
  void withinTenPercentOfTheTargetTheCountStays() {
    assertEquals(1, Autoscaler.desired(S, 2_199, 1));
    assertEquals(2, Autoscaler.desired(S, 2_201, 1));
    assertEquals(4, Autoscaler.desired(S, 7_300, 4));
    assertEquals(4, Autoscaler.desired(S, 7_199, 4), "7,199 / 8,000 = 0.9");
    assertEquals(3, Autoscaler.desired(S, 5_999, 4));
  }

  @Test
  void kedaWakesTheFirstReplicaOnOneDueEventAndStopsTheLastAfterTheCooldown() {
    Autoscaler scaler = new Autoscaler(S);
    assertEquals(0, scaler.poll(0, 0), "nothing due: stays at zero");
    assertEquals(1, scaler.poll(15, 1), "one due event wakes one replica");
    assertEquals(1, scaler.poll(30, 0));
    assertEquals(1, scaler.poll(15 + 285, 0), "285 s after the last active poll");
    assertEquals(0, scaler.poll(15 + 300, 0), "cooldownPeriod 300 s after it");
    assertEquals(1, scaler.poll(330, 5), "and wakes again");
  }

  @Test
  void scaleUpIsLimitedToFourPodsPerFifteenSecondsAndScaleDownWaitsFiveMinutes() {
    Autoscaler scaler = new Autoscaler(S);
    scaler.poll(0, 16_000);
    assertEquals(5, scaler.poll(15, 16_000), "1 + 4");
    assertEquals(8, scaler.poll(30, 16_000), "then the rest, up to max");
    assertEquals(8, scaler.poll(45, 0), "recommendations of 8 within the window hold it");
    assertEquals(8, scaler.poll(315, 100));
    assertEquals(7, scaler.poll(330, 100), "300 s after the last 8: one pod");
    assertEquals(7, scaler.poll(345, 100), "then one per 60 s");
    assertEquals(6, scaler.poll(390, 100));
  }

  @Test
  void aBurstScalesToMaxDrainsAndReturnsToZero() {
    List<BurstSimulation.Row> rows =
        new BurstSimulation(S, BurstSimulation.Model.MEASURED, 2_000)
            .run(1_500, AutoscalerTest::burst);
    int peak = rows.stream().mapToInt(BurstSimulation.Row::replicas).max().orElseThrow();
    assertEquals(S.max(), peak);
    assertTrue(rows.stream().allMatch(r -> r.metric() <= S.target() * S.max()));
    BurstSimulation.Row last = rows.get(rows.size() - 1);
    assertEquals(0, last.replicas(), "scaled to zero after the producers stop");
    assertEquals(0, last.backlog(), "and nothing left behind");
    System.out.println(table(rows));
  }

  /** Idle for a minute, 150,000 events/s for four minutes, 30,000/s for ten, then nothing. */
  static int burst(long second) {
    if (second < 60) {
      return 0;
    }
    if (second < 300) {
      return 150_000;
    }
    return second < 900 ? 30_000 : 0;
  }

  /** The polls where the replica count or the ready count changed, and one a minute otherwise. */
  static String table(List<BurstSimulation.Row> rows) {
    StringBuilder out = new StringBuilder();
    out.append("| s | producers /s | backlog | query result | replicas set | draining |\n");
    out.append("|---:|---:|---:|---:|---:|---:|\n");
    BurstSimulation.Row previous = null;
    for (BurstSimulation.Row r : rows) {
      boolean changed =
          previous == null
              || r.replicas() != previous.replicas()
              || r.ready() != previous.ready()
              || r.inflow() != previous.inflow();
      if (changed || r.second() % 120 == 0) {
        out.append(
            String.format(
                "| %d | %,d | %,d | %,d | %d | %d |%n",
                r.second(), r.inflow(), r.backlog(), r.metric(), r.replicas(), r.ready()));
      }
      previous = r;
    }
    return out.toString();
  }
}
