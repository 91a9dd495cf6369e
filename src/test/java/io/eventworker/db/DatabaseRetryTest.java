package io.eventworker.db;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.Retry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class DatabaseRetryTest {

  @Test
  void waitsDoubleUpToTheCapWithHalfOfEachWaitRandom() {
    IntervalFunction interval =
        DatabaseRetry.equalJitter(Duration.ofMillis(100), Duration.ofSeconds(5));
    for (int i = 0; i < 200; i++) {
      long first = interval.apply(1);
      long fourth = interval.apply(4);
      long late = interval.apply(20);
      assertTrue(first >= 50 && first <= 100, "first wait " + first);
      assertTrue(fourth >= 400 && fourth <= 800, "fourth wait " + fourth);
      assertTrue(late >= 2500 && late <= 5000, "saturated wait " + late);
    }
    Set<Long> saturated = new HashSet<>();
    for (int i = 0; i < 50; i++) {
      saturated.add(interval.apply(30));
    }
    assertTrue(saturated.size() > 10, "saturated waits still differ: " + saturated);
  }

  @Test
  void retriesTransientErrorsOnlyAndGivesUpAfterTheAttempts() throws Exception {
    Retry retry =
        DatabaseRetry.transientErrors("test", Duration.ofMillis(1), Duration.ofMillis(2), 3);
    AtomicInteger calls = new AtomicInteger();
    assertEquals(
        "ok",
        retry.executeCallable(
            () -> {
              if (calls.incrementAndGet() < 3) {
                throw new SQLException("connection lost", "08006");
              }
              return "ok";
            }));
    assertEquals(3, calls.get());

    calls.set(0);
    SQLException other =
        assertThrows(
            SQLException.class,
            () ->
                retry.executeCallable(
                    () -> {
                      calls.incrementAndGet();
                      throw new SQLException("no such table", "42P01");
                    }));
    assertEquals("42P01", other.getSQLState());
    assertEquals(1, calls.get(), "other errors are not retried");

    calls.set(0);
    assertThrows(
        SQLException.class,
        () ->
            retry.executeCallable(
                () -> {
                  calls.incrementAndGet();
                  throw new SQLException("connection lost", "08006");
                }));
    assertEquals(3, calls.get(), "a transient error is tried maxAttempts times, then thrown");
  }
}
