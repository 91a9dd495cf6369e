package io.eventworker.queue;

import io.eventworker.handler.RowInsert;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;

/** The rows a batch writes to one table: its {@link RowInsert} and a text array per column. */
public final class RowBatch {

  private final RowInsert target;
  private final List<String[]> rows;

  public RowBatch(RowInsert target, List<String[]> rows) {
    this.target = target;
    this.rows = rows;
  }

  RowInsert target() {
    return target;
  }

  /**
   * Binds the columns, one text array each, from parameter {@code first}; returns the next index.
   */
  int bind(PreparedStatement ps, int first) throws SQLException {
    Connection c = ps.getConnection();
    int columns = target.columnCount();
    for (int col = 0; col < columns; col++) {
      String[] column = new String[rows.size()];
      for (int r = 0; r < column.length; r++) {
        column[r] = rows.get(r)[col];
      }
      ps.setArray(first + col, c.createArrayOf("text", column));
    }
    return first + columns;
  }

  /** Runs the insert on its own. */
  void insert(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(target.sql())) {
      bind(ps, 1);
      ps.executeUpdate();
    }
  }
}
