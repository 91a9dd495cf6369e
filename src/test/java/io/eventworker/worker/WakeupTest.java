package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
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
    CompletableFuture<Boolean> pausing = new CompletableFuture<>();
    CompletableFuture<Long> waiting = new CompletableFuture<>();
    Thread pauser = thread(() -> pausing.complete(wakeup.pause(Duration.ofMinutes(1))), pausing);
    Thread waiter =
        thread(
            () -> {
              long started = System.nanoTime();
              awaitQuietly(wakeup);
              waiting.complete(System.nanoTime() - started);
            },
            waiting);
    // Both must be inside wait() when the signal comes: a signal sent earlier is kept as a permit
    // and would pass whatever the pausing thread does with the wake-up.
    awaitWaiting(pauser, waiter);
    wakeup.signal();
    assertTrue(
        waiting.get(5, TimeUnit.SECONDS) < TimeUnit.SECONDS.toNanos(2),
        "the waiting thread got the signal");
    assertFalse(pausing.isDone(), "the pausing thread goes on pausing");
    wakeup.stop();
    assertFalse(pausing.get(5, TimeUnit.SECONDS));
  }

  @Test
  void stopReleasesEveryWaiter() throws Exception {
    Wakeup wakeup = new Wakeup(2);
    CompletableFuture<Boolean> first = new CompletableFuture<>();
    CompletableFuture<Boolean> second = new CompletableFuture<>();
    Thread one = thread(() -> first.complete(awaitQuietly(wakeup)), first);
    Thread two = thread(() -> second.complete(awaitQuietly(wakeup)), second);
    // Waiting already, so that stop() has to wake them rather than find them not yet waiting.
    awaitWaiting(one, two);
    wakeup.stop();
    assertFalse(first.get(5, TimeUnit.SECONDS));
    assertFalse(second.get(5, TimeUnit.SECONDS));
    assertFalse(wakeup.pause(Duration.ofMinutes(1)), "pause returns at once once stopped");
  }

  /** A body that may throw, run on a thread of its own; what it throws completes {@code failed}. */
  private interface Body {
    void run() throws Exception;
  }

  private static Thread thread(Body body, CompletableFuture<?> failed) {
    Thread t =
        new Thread(
            () -> {
              try {
                body.run();
              } catch (Exception | AssertionError e) {
                failed.completeExceptionally(e);
              }
            },
            "wakeup-test");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Waits until every thread is parked inside Wakeup's timed wait: these threads do nothing else
   * that waits with a timeout.
   */
  private static void awaitWaiting(Thread... threads) {
    await()
        .atMost(Duration.ofSeconds(5))
        .pollInterval(Duration.ofMillis(5))
        .until(
            () -> Arrays.stream(threads).allMatch(t -> t.getState() == Thread.State.TIMED_WAITING));
  }

  private static boolean awaitQuietly(Wakeup wakeup) {
    try {
      return wakeup.await(Duration.ofMinutes(1));
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
