package io.eventworker.queue;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes of large payloads one batch holds, drawn from a pool that all the worker's batches
 * share. A burst of megabyte documents must not fill the heap: a batch stops claiming before the
 * payload the pool has no room for (it stays pending, for a later batch), and a payload larger
 * than the whole pool can never be read, so its event fails with the reason. Closing the batch's
 * budget returns its bytes to the pool.
 */
public final class PayloadBudget implements AutoCloseable {

  /** The bytes of large payloads all batches together may hold. */
  public static final class Pool {
    private final long size;
    private final AtomicLong available;

    public Pool(long size) {
      this.size = size;
      this.available = new AtomicLong(size);
    }

    /** A budget for one batch; close it when the batch is done. */
    public PayloadBudget forBatch() {
      return new PayloadBudget(this);
    }

    public long size() {
      return size;
    }
  }

  private final Pool pool;
  private long held;
  private boolean spent;

  private PayloadBudget(Pool pool) {
    this.pool = pool;
  }

  /** The largest payload a worker reads. */
  long limit() {
    return pool.size;
  }

  /** What the pool has room for now. */
  long available() {
    return pool.available.get();
  }

  /** True once a payload did not fit: the batch is as large as it may be. */
  public boolean spent() {
    return spent;
  }

  void take(long bytes) {
    pool.available.addAndGet(-bytes);
    held += bytes;
  }

  void refuse() {
    spent = true;
  }

  @Override
  public void close() {
    pool.available.addAndGet(held);
    held = 0;
  }
}
