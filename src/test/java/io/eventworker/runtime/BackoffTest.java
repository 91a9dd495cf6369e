package io.eventworker.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.runtime.Backoff.Jitter;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class BackoffTest {

  @Test
  void doublesFromTheInitialDelayUpToTheMaximum() {
    Backoff backoff =
        new Backoff(Duration.ofSeconds(5), Duration.ofMinutes(1), Jitter.QUARTER, () -> 0.5);
    assertEquals(5_000, backoff.delayMillis(1));
    assertEquals(10_000, backoff.delayMillis(2));
    assertEquals(20_000, backoff.delayMillis(3));
    assertEquals(40_000, backoff.delayMillis(4));
    assertEquals(60_000, backoff.delayMillis(5));
    assertEquals(60_000, backoff.delayMillis(500));
  }

  @Test
  void quarterJitterStaysWithinAQuarterEitherWayAndUnderTheMaximum() {
    assertEquals(
        7_500,
        new Backoff(Duration.ofSeconds(10), Duration.ofHours(1), Jitter.QUARTER, () -> 0.0)
            .delayMillis(1));
    assertEquals(
        12_499,
        new Backoff(Duration.ofSeconds(10), Duration.ofHours(1), Jitter.QUARTER, () -> 0.9999)
            .delayMillis(1));
    assertEquals(
        60_000,
        new Backoff(Duration.ofSeconds(50), Duration.ofMinutes(1), Jitter.QUARTER, () -> 0.9999)
            .delayMillis(1));
  }

  @Test
  void noJitterIsTheDoubledDelayCapped() {
    Backoff backoff =
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), Jitter.NONE, () -> 0.7);
    assertEquals(100, backoff.delayMillis(1));
    assertEquals(800, backoff.delayMillis(4));
    assertEquals(5_000, backoff.delayMillis(7));
    assertEquals(5_000, backoff.delayMillis(Integer.MAX_VALUE));
  }

  @Test
  void equalJitterIsARandomHalfOfTheCappedDelay() {
    assertEquals(
        50,
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), Jitter.EQUAL, () -> 0.0)
            .delayMillis(1));
    assertEquals(
        100,
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), Jitter.EQUAL, () -> 0.9999)
            .delayMillis(1));
    // Saturated, the waits still spread over the upper half of the maximum.
    assertEquals(
        2_500,
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), Jitter.EQUAL, () -> 0.0)
            .delayMillis(40));
    assertEquals(
        5_000,
        new Backoff(Duration.ofMillis(100), Duration.ofSeconds(5), Jitter.EQUAL, () -> 0.9999)
            .delayMillis(40));
    Backoff random = Backoff.of(Duration.ofMillis(100), Duration.ofSeconds(5), Jitter.EQUAL);
    Set<Long> saturated = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      long wait = random.delayMillis(30);
      assertTrue(wait >= 2_500 && wait <= 5_000, "saturated wait " + wait);
      saturated.add(wait);
    }
    assertTrue(saturated.size() > 10, "saturated waits still differ: " + saturated);
  }
}
