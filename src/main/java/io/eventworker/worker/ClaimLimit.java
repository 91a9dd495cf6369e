package io.eventworker.worker;

/**
 * How many events one worker thread's next batch claims: the batch size, except after a batch cut
 * short. Such a batch held the rows it locked but did not take until it committed, and the other
 * threads passed over them; so the next claims ask for little more than it took, and the limit
 * doubles back with every full batch.
 */
final class ClaimLimit {

  private final int batchSize;
  private int current;

  ClaimLimit(int batchSize) {
    this.batchSize = batchSize;
    this.current = batchSize;
  }

  /** The limit of the thread's next batch. */
  int current() {
    return current;
  }

  /** Adapts the limit to how the thread's last batch, claimed with {@link #current}, ended. */
  void after(BatchProcessor.Batch batch) {
    if (batch.cutShort()) {
      current = Math.min(batchSize, batch.claimed() + 1);
    } else if (batch.full()) {
      current = Math.min(batchSize, current * 2);
    }
  }
}
