package io.eventworker.handler;

/**
 * Where a handler puts the rows it produces. Rows are written after all handlers of a batch ran,
 * one statement per target table for the whole batch.
 */
public interface Rows {

  /** Adds one row to {@code target}, with one value per column, in the target's column order. */
  void insert(RowInsert target, Object... values);
}
