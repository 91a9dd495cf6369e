package io.eventworker.queue;

/**
 * The bytes of large payloads (those a claim leaves out) one batch may hold. A burst of large
 * documents must not fill the heap: a batch stops claiming before the payload it has no room for
 * (it stays pending, for a later batch), and a payload larger than a whole budget can never be
 * read, so its event fails with the reason.
 *
 * <p>Each worker thread has its own budget, a fixed share of the memory set aside for payloads:
 * budgets drawn from one shared pool let several threads read at once against the same free room,
 * and a burst of mid-sized documents could run the worker out of memory that way.
 */
public final class PayloadBudget {

  private final long limit;
  private long held;
  private boolean spent;

  /** A budget of {@code limit} bytes of payload (as JSON text) for one batch. */
  public PayloadBudget(long limit) {
    this.limit = limit;
  }

  /**
   * A worker thread's share of a sixteenth of the heap. A payload takes up to ten times its size on
   * its way through (as received, parsed, re-serialized, encoded; a megabyte array fills two of the
   * collector's one-megabyte regions), so the payloads in hand stay within about two thirds of the
   * heap.
   */
  public static long perThread(long maxHeapBytes, int threads) {
    return maxHeapBytes / 16 / threads;
  }

  /** The largest payload a batch reads. */
  long limit() {
    return limit;
  }

  /** What the batch has room for now. */
  long room() {
    return Math.max(0, limit - held);
  }

  /** True once a payload did not fit: the batch is as large as it may be. */
  public boolean spent() {
    return spent;
  }

  void take(long bytes) {
    held += bytes;
  }

  /** Marks the budget spent: a payload did not fit, and the batch took what it could. */
  void refuse() {
    spent = true;
  }
}
