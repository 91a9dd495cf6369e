package io.eventworker.testing;

import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The threads of a {@link RunningWorker}, seen from outside, for tests that must know the worker is
 * idle before they act: a claim still under way would find the test's event without the
 * notification the test is about.
 */
public final class WorkerThreads {

  // The names Worker gives its threads.
  private static final Pattern CLAIM_LOOP = Pattern.compile("event-worker-\\d+");
  private static final String LISTENER = "event-worker-listener";
  // A thread that was just signalled still shows as waiting until it runs: idle must last.
  private static final Duration STEADY = Duration.ofMillis(300);

  private WorkerThreads() {}

  /**
   * Waits until all {@code loops} claim loops wait for a signal and the listener waits for
   * notifications, past the LISTEN and the catch-up signal that follows it, and both stay so.
   */
  public static void awaitIdle(int loops) {
    await("the worker's " + loops + " claim loops waiting and its listener listening")
        .atMost(Duration.ofSeconds(15))
        .pollInterval(Duration.ofMillis(20))
        .during(STEADY)
        .until(() -> idle(loops));
  }

  private static boolean idle(int loops) {
    Map<Thread, StackTraceElement[]> all = Thread.getAllStackTraces();
    List<Thread> claimLoops =
        all.keySet().stream().filter(t -> CLAIM_LOOP.matcher(t.getName()).matches()).toList();
    // An idle claim loop's only timed wait is Wakeup's; a claim in progress reads a socket.
    boolean loopsWaiting =
        claimLoops.size() == loops
            && claimLoops.stream().allMatch(t -> t.getState() == Thread.State.TIMED_WAITING);
    boolean listening =
        all.entrySet().stream()
            .anyMatch(
                e ->
                    e.getKey().getName().equals(LISTENER)
                        && Arrays.stream(e.getValue())
                            .anyMatch(f -> f.getMethodName().equals("getNotifications")));
    return loopsWaiting && listening;
  }
}
