package io.eventworker.worker;

import io.eventworker.handler.Event;
import io.eventworker.handler.RowInsert;
import io.eventworker.handler.Rows;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The rows a batch's handlers produce, held until the batch writes them: all at once, one
 * statement per target table, or, to isolate an event the database rejects, one event at a time.
 */
final class BatchRows implements Rows {

  private record Row(RowInsert target, String[] values) {}

  private final Map<Event, List<Row>> kept = new LinkedHashMap<>();
  private final List<Row> current = new ArrayList<>();

  /** Starts collecting the rows of the next event. */
  void begin() {
    current.clear();
  }

  @Override
  public void insert(RowInsert target, Object... values) {
    if (values.length != target.columnCount()) {
      throw new IllegalArgumentException(
          target + " takes " + target.columnCount() + " values, got " + values.length);
    }
    String[] text = new String[values.length];
    for (int i = 0; i < values.length; i++) {
      text[i] = RowInsert.toText(values[i]);
    }
    current.add(new Row(target, text));
  }

  /** The handler succeeded: its rows will be written. */
  void keep(Event event) {
    kept.put(event, List.copyOf(current));
    current.clear();
  }

  /** The handler failed: whatever it added is dropped. */
  void discard() {
    current.clear();
  }

  /** The events whose handlers succeeded, in claim order. */
  List<Event> events() {
    return new ArrayList<>(kept.keySet());
  }

  /** Writes the kept rows of {@code events}: one statement per target table. */
  void write(Connection c, List<Event> events) throws SQLException {
    List<List<Row>> rowsPerEvent = new ArrayList<>(events.size());
    for (Event event : events) {
      rowsPerEvent.add(kept.getOrDefault(event, List.of()));
    }
    write(c, rowsPerEvent);
  }

  private static void write(Connection c, Collection<List<Row>> rowsPerEvent) throws SQLException {
    Map<RowInsert, List<String[]>> byTarget = new LinkedHashMap<>();
    for (List<Row> rows : rowsPerEvent) {
      for (Row row : rows) {
        byTarget.computeIfAbsent(row.target(), t -> new ArrayList<>()).add(row.values());
      }
    }
    for (Map.Entry<RowInsert, List<String[]>> entry : byTarget.entrySet()) {
      insert(c, entry.getKey(), entry.getValue());
    }
  }

  private static void insert(Connection c, RowInsert target, List<String[]> rows)
      throws SQLException {
    int columns = target.columnCount();
    try (PreparedStatement ps = c.prepareStatement(target.sql())) {
      for (int col = 0; col < columns; col++) {
        String[] column = new String[rows.size()];
        for (int r = 0; r < column.length; r++) {
          column[r] = rows.get(r)[col];
        }
        ps.setArray(col + 1, c.createArrayOf("text", column));
      }
      ps.executeUpdate();
    }
  }
}
