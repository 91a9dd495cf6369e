package io.eventworker.worker;

import io.eventworker.queue.UnrenderablePayloadException;
import java.sql.SQLException;
import java.util.List;

/**
 * How one pass over a batch's events ended: committed, or rolled back for a reason that says what
 * the batch does next (see {@link BatchProcessor}).
 */
sealed interface Pass {

  /**
   * The pass committed, having done {@code done} events. Cut short when it left events pending that
   * its claim passed over: a payload it had no room for, or a write that stopped early.
   */
  record Committed(int done, boolean cutShort) implements Pass {

    /** What this pass and {@code next}, one after the other, did. */
    Committed and(Committed next) {
      return new Committed(done + next.done, cutShort || next.cutShort);
    }

    /** This pass, cut short also if {@code passedOver}. */
    Committed cutShortIf(boolean passedOver) {
      return passedOver && !cutShort ? new Committed(done, true) : this;
    }
  }

  /**
   * The database rejected the rows of events {@code ids} as data (SQLSTATE class 22, 23, 54000);
   * {@code passedOver} when the claim left events it had no room for.
   */
  record RejectedAsData(List<Long> ids, SQLException cause, boolean passedOver) implements Pass {}

  /**
   * The server cancelled the write of events {@code ids} (DB_STATEMENT_TIMEOUT, pg_cancel_backend);
   * {@code passedOver} when the claim left events it had no room for.
   */
  record Cancelled(List<Long> ids, SQLException cause, boolean passedOver) implements Pass {}

  /** PostgreSQL could not render one of the claimed payloads as text. */
  record Unrenderable(UnrenderablePayloadException cause) implements Pass {}
}
