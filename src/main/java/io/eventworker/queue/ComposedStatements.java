package io.eventworker.queue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Statements that name tables, which cannot be bind parameters: a prepared query with its values
 * bound composes them on the server, with {@code format('%I', ...)} for names and {@code %L} for
 * values, and they run as the server wrote them.
 */
final class ComposedStatements {

  private ComposedStatements() {}

  /** The statements that {@code composer} returns, one per row, in its order. */
  static List<String> compose(Connection c, String composer, Object... values) throws SQLException {
    List<String> statements = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(composer)) {
      for (int i = 0; i < values.length; i++) {
        ps.setObject(i + 1, values[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          statements.add(rs.getString(1));
        }
      }
    }
    return statements;
  }

  /** Runs each statement that {@code composer} returns, in its order. */
  static void run(Connection c, String composer, Object... values) throws SQLException {
    for (String sql : compose(c, composer, values)) {
      try (Statement s = c.createStatement()) {
        s.execute(sql);
      }
    }
  }

  /** Runs the query that {@code composer} returns and reads its one row of longs. */
  static long[] queryLongs(Connection c, int columns, String composer, Object... values)
      throws SQLException {
    String query = compose(c, composer, values).get(0);
    long[] row = new long[columns];
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(query)) {
      rs.next();
      for (int i = 0; i < columns; i++) {
        row[i] = rs.getLong(i + 1);
      }
    }
    return row;
  }
}
