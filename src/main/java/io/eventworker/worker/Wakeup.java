package io.eventworker.worker;

import java.time.Duration;

/**
 * Where idle worker threads wait for work: woken one at a time by new-event notifications (or by a
 * peer that found a full batch), by the poll interval, or all at once by shutdown. A signal that
 * arrives while nobody waits is kept, up to one per thread, so none is lost between a claim that
 * found nothing and the wait that follows it.
 */
final class Wakeup {

  private final int maxPermits;
  private int permits;
  private boolean stopped;

  Wakeup(int threads) {
    this.maxPermits = threads;
  }

  /** Wakes one waiting thread, or lets the next one to wait pass at once. */
  synchronized void signal() {
    if (permits < maxPermits) {
      permits++;
    }
    // notifyAll, not notify: a thread in pause() shares this monitor and would swallow the one
    // wake-up meant for a thread in await(). Woken threads without a permit wait again.
    notifyAll();
  }

  /** Lets every thread through at once, such as after the listener reconnects. */
  synchronized void signalAll() {
    permits = maxPermits;
    notifyAll();
  }

  /** Waits for a signal, the timeout or shutdown; returns false once stopped. */
  synchronized boolean await(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!stopped && permits == 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      wait(Math.max(1, left / 1_000_000), 0);
    }
    if (stopped) {
      return false;
    }
    permits--;
    return true;
  }

  /** Sleeps like {@link #await} but ignores signals: for backing off after an error. */
  synchronized boolean pause(Duration duration) throws InterruptedException {
    long deadline = System.nanoTime() + duration.toNanos();
    while (!stopped) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return true;
      }
      wait(Math.max(1, left / 1_000_000), 0);
    }
    return false;
  }

  synchronized void stop() {
    stopped = true;
    notifyAll();
  }

  synchronized boolean isStopped() {
    return stopped;
  }
}
