package io.eventworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class RetryBackoffTest {

  @Test
  void doublesFromTheInitialDelayUpToTheMaximum() {
    RetryBackoff backoff = new RetryBackoff(Duration.ofSeconds(5), Duration.ofMinutes(1), () -> 0.5);
    assertEquals(5_000, backoff.delayMillis(1));
    assertEquals(10_000, backoff.delayMillis(2));
    assertEquals(20_000, backoff.delayMillis(3));
    assertEquals(40_000, backoff.delayMillis(4));
    assertEquals(60_000, backoff.delayMillis(5));
    assertEquals(60_000, backoff.delayMillis(500));
  }

  @Test
  void jitterStaysWithinAQuarterEitherWay() {
    assertEquals(7_500, new RetryBackoff(Duration.ofSeconds(10), Duration.ofHours(1), () -> 0.0).delayMillis(1));
    assertEquals(12_499, new RetryBackoff(Duration.ofSeconds(10), Duration.ofHours(1), () -> 0.9999).delayMillis(1));
  }
}
