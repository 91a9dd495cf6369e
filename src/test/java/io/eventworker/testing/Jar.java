package io.eventworker.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.Map;

/** One-shot commands of the real jar (migrate, enqueue, status), run to completion. */
public final class Jar {

  private Jar() {}

  /** Runs {@code event-worker args...}, expects exit 0, returns its output. */
  public static String run(Map<String, String> env, String... args) throws InterruptedException {
    WorkerProcess p = WorkerProcess.start(args[0], env, args);
    int status = p.awaitExit(Duration.ofMinutes(2));
    assertEquals(0, status, String.join(" ", args) + " failed:\n" + p.output());
    return p.output();
  }
}
