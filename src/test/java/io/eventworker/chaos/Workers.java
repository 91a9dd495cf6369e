package io.eventworker.chaos;

import io.eventworker.testing.WorkerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A scenario's worker processes (the real jar, {@code run}), by slot: started, killed, restarted
 * and stopped by the scenario; every process ever started is killed on close, whatever happened.
 */
final class Workers implements AutoCloseable {

  /** How one process ended after SIGTERM. */
  record Exit(int slot, int status, double seconds, String output) {}

  private final String name;
  private final Map<String, String> env;
  private final WorkerProcess[] slots;
  private final List<WorkerProcess> started = new ArrayList<>();
  private int generation;
  private final List<Thread> monitors = new ArrayList<>();
  private final List<long[]> readinessChanges =
      java.util.Collections.synchronizedList(new ArrayList<>());
  private volatile boolean closed;

  private Workers(String name, Map<String, String> env, int count) {
    this.name = name;
    this.env = env;
    this.slots = new WorkerProcess[count];
  }

  /** Starts {@code count} workers with {@code env}. */
  static Workers start(String name, Map<String, String> env, int count) {
    Workers w = new Workers(name, env, count);
    for (int i = 0; i < count; i++) {
      w.startSlot(i);
    }
    return w;
  }

  int size() {
    return slots.length;
  }

  WorkerProcess get(int slot) {
    return slots[slot];
  }

  /** Starts a new process in {@code slot} (which must be empty or dead). */
  WorkerProcess startSlot(int slot) {
    WorkerProcess p = WorkerProcess.run("chaos-" + name + "-" + slot + "-" + (generation++), env);
    slots[slot] = p;
    started.add(p);
    return p;
  }

  /** SIGKILL to the process in {@code slot}; returns once it is gone. */
  void kill(int slot) throws InterruptedException {
    slots[slot].kill();
  }

  /** Waits until every worker answers 200 on /health/ready. */
  void awaitReady(Duration timeout) throws InterruptedException {
    for (WorkerProcess p : slots) {
      p.awaitReady(timeout);
    }
  }

  /** Throws, with the dead one's output, unless every current worker process is alive. */
  void assertAlive(String when) {
    for (int i = 0; i < slots.length; i++) {
      if (!slots[i].isAlive()) {
        throw new AssertionError("worker " + i + " died " + when + ":\n" + tail(slots[i].output()));
      }
    }
  }

  /** The sum over the current workers of every sample of a metric (all label sets). */
  double metricSum(String metric) {
    Pattern line =
        Pattern.compile("(?m)^" + Pattern.quote(metric) + "(\\{[^}]*\\})? ([0-9.eE+-]+)$");
    double sum = 0;
    for (WorkerProcess p : slots) {
      WorkerProcess.HttpResult r = p.get("/metrics");
      if (r.status() == 200) {
        Matcher m = line.matcher(r.body());
        while (m.find()) {
          sum += Double.parseDouble(m.group(2));
        }
      }
    }
    return sum;
  }

  /**
   * SIGTERM to every worker at once; waits up to {@code timeout} for each to exit and returns how
   * each ended.
   */
  List<Exit> terminateAll(Duration timeout) throws InterruptedException {
    long signalled = System.nanoTime();
    for (WorkerProcess p : slots) {
      p.terminate();
    }
    double[] exitedAfter = new double[slots.length];
    java.util.Arrays.fill(exitedAfter, -1);
    int left = slots.length;
    while (left > 0 && System.nanoTime() - signalled < timeout.toNanos()) {
      for (int i = 0; i < slots.length; i++) {
        if (exitedAfter[i] < 0 && !slots[i].isAlive()) {
          exitedAfter[i] = (System.nanoTime() - signalled) / 1e9;
          left--;
        }
      }
      Thread.sleep(10);
    }
    List<Exit> exits = new ArrayList<>();
    for (int i = 0; i < slots.length; i++) {
      // Throws, with the output, if this one is still running after the timeout.
      int status = slots[i].awaitExit(Duration.ofMillis(100));
      exits.add(new Exit(i, status, exitedAfter[i], slots[i].output()));
    }
    return exits;
  }

  /**
   * Polls every worker's /health/ready every 200 ms in the background, remembering each change of
   * answer, until close.
   */
  void monitorReadiness() {
    for (int i = 0; i < slots.length; i++) {
      int slot = i;
      Thread t =
          new Thread(
              () -> {
                int last = Integer.MIN_VALUE;
                while (!closed) {
                  WorkerProcess p = slots[slot];
                  int status = p.isAlive() ? p.get("/health/ready").status() : -1;
                  if (status != last) {
                    readinessChanges.add(new long[] {slot, System.nanoTime(), status});
                    last = status;
                  }
                  try {
                    Thread.sleep(200);
                  } catch (InterruptedException e) {
                    return;
                  }
                }
              },
              "chaos-readiness-" + name + "-" + slot);
      t.setDaemon(true);
      monitors.add(t);
      t.start();
    }
  }

  /**
   * Whether the readiness monitor saw worker {@code slot} answer {@code status} at some point
   * between the two System.nanoTime() instants.
   */
  boolean sawReadiness(int slot, int status, long fromNanos, long toNanos) {
    int current = Integer.MIN_VALUE;
    synchronized (readinessChanges) {
      for (long[] change : readinessChanges) {
        if (change[0] != slot) {
          continue;
        }
        if (change[1] <= fromNanos) {
          current = (int) change[2];
        } else if (change[1] <= toNanos && change[2] == status) {
          return true;
        }
      }
    }
    return current == status;
  }

  /**
   * From the readiness monitor: seconds from {@code sinceNanos} until every worker answered 200 (0
   * if they never stopped answering 200), or -1 if one does not answer 200 now.
   */
  double readySeconds(long sinceNanos) {
    long readyAt = sinceNanos;
    synchronized (readinessChanges) {
      for (int slot = 0; slot < slots.length; slot++) {
        long[] latest = null;
        for (long[] change : readinessChanges) {
          if (change[0] == slot) {
            latest = change;
          }
        }
        if (latest == null || latest[2] != 200) {
          return -1;
        }
        readyAt = Math.max(readyAt, latest[1]);
      }
    }
    return (readyAt - sinceNanos) / 1e9;
  }

  static String tail(String output) {
    return output.length() <= 6000 ? output : "..." + output.substring(output.length() - 6000);
  }

  @Override
  public void close() throws InterruptedException {
    closed = true;
    for (Thread t : monitors) {
      t.interrupt();
      t.join(10_000);
    }
    for (WorkerProcess p : started) {
      p.close();
    }
  }
}
