package io.eventworker.worker;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class WakeupTest {

  @Test
  void aSignalSentBeforeTheWaitIsNotLost() throws Exception {
    Wakeup wakeup = new Wakeup(2);
    wakeup.signal();
    long started = System.nanoTime();
    assertTrue(wakeup.await(Duration.ofSeconds(10)));
    assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(1), "returned at once");
  }

  @Test
  void waitsForTheTimeoutWithoutASignal() throws Exception {
    Wakeup wakeup = new Wakeup(1);
    long started = System.nanoTime();
    assertTrue(wakeup.await(Duration.ofMillis(100)));
    assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(95));
  }

  @Test
  void aThreadPausingAfterAnErrorDoesNotSwallowTheSignal() throws Exception {
    Wakeup wakeup = new Wakeup(2);
    CompletableFuture<Boolean> pausing = CompletableFuture.supplyAsync(() -> {
      try {
        return wakeup.pause(Duration.ofSeconds(5));
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    CompletableFuture<Long> waiting = CompletableFuture.supplyAsync(() -> {
      long started = System.nanoTime();
      awaitQuietly(wakeup);
      return System.nanoTime() - started;
    });
    Thread.sleep(200);
    wakeup.signal();
    assertTrue(waiting.get(5, TimeUnit.SECONDS) < TimeUnit.SECONDS.toNanos(2), "the waiting thread got the signal");
    wakeup.stop();
    assertFalse(pausing.get(5, TimeUnit.SECONDS));
  }

  @Test
  void stopReleasesEveryWaiter() throws Exception {
    Wakeup wakeup = new Wakeup(2);
    CompletableFuture<Boolean> first = CompletableFuture.supplyAsync(() -> awaitQuietly(wakeup));
    CompletableFuture<Boolean> second = CompletableFuture.supplyAsync(() -> awaitQuietly(wakeup));
    Thread.sleep(100);
    wakeup.stop();
    assertFalse(first.get(5, TimeUnit.SECONDS));
    assertFalse(second.get(5, TimeUnit.SECONDS));
    assertFalse(wakeup.pause(Duration.ofMinutes(1)), "pause returns at once once stopped");
  }

  private static boolean awaitQuietly(Wakeup wakeup) {
    try {
      return wakeup.await(Duration.ofMinutes(1));
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
