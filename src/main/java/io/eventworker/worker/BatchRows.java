package io.eventworker.worker;

import io.eventworker.db.DatabaseErrors;
import io.eventworker.handler.Event;
import io.eventworker.handler.RowInsert;
import io.eventworker.handler.Rows;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.RowBatch;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The rows a batch's handlers produce, held until the batch writes them: all at once, grouped by
 * table, or for a subset of the events while the batch looks for one the database rejects or cannot
 * write in time.
 */
final class BatchRows implements Rows {

  private record Row(RowInsert target, String[] values) {}

  private final EventRepository repository;
  private final Map<Event, List<Row>> kept = new LinkedHashMap<>();
  private final List<Row> current = new ArrayList<>();

  BatchRows(EventRepository repository) {
    this.repository = repository;
  }

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

  /** The kept rows of {@code events}, grouped by target table (in a stable order). */
  List<RowBatch> batches(List<Event> events) {
    Map<RowInsert, List<String[]>> byTarget = new TreeMap<>(Comparator.comparing(RowInsert::sql));
    for (Event event : events) {
      for (Row row : kept.getOrDefault(event, List.of())) {
        byTarget.computeIfAbsent(row.target(), t -> new ArrayList<>()).add(row.values());
      }
    }
    List<RowBatch> batches = new ArrayList<>(byTarget.size());
    byTarget.forEach((target, rows) -> batches.add(new RowBatch(target, rows)));
    return batches;
  }

  /** An event whose rows the database would not write (rejected as data, or cancelled), and why. */
  record Refused(Event event, SQLException cause) {}

  /**
   * What {@link #insertOneByOne} did: the events written, those whose rows were rejected as data,
   * and the one whose write the server cancelled, if any, after which nothing more was tried.
   */
  record OneByOne(List<Event> written, List<Refused> rejected, Refused cancelled) {}

  /**
   * Inserts the kept rows of {@code events} one event at a time, each behind a savepoint, until the
   * server cancels one (DB_STATEMENT_TIMEOUT, or pg_cancel_backend): after a batch's write was
   * cancelled, this finds the event whose own write is, for the price of one more timeout, where
   * halving would pay one per level. The events after it are left alone: if the server is what is
   * slow, one event is charged for it, not the whole batch.
   */
  OneByOne insertOneByOne(Connection c, List<Event> events) throws SQLException {
    List<Event> written = new ArrayList<>(events.size());
    List<Refused> rejected = new ArrayList<>();
    for (Event event : events) {
      Savepoint savepoint = c.setSavepoint();
      try {
        repository.insertRows(c, batches(List.of(event)));
        c.releaseSavepoint(savepoint);
        written.add(event);
      } catch (SQLException e) {
        boolean cancelled = DatabaseErrors.isStatementCancelled(e);
        if (!cancelled && !DatabaseErrors.isCausedByData(e)) {
          throw e;
        }
        c.rollback(savepoint);
        if (cancelled) {
          return new OneByOne(written, rejected, new Refused(event, e));
        }
        rejected.add(new Refused(event, e));
      }
    }
    return new OneByOne(written, rejected, null);
  }

  /**
   * Inserts the kept rows of {@code events}; where the database rejects them as data, halves the
   * set behind savepoints until the rejected events stand alone, and returns those (their rows are
   * not written). A few subtransactions find one bad event among hundreds, rather than one per
   * event.
   */
  List<Refused> insertIsolating(Connection c, List<Event> events) throws SQLException {
    List<Refused> rejected = new ArrayList<>();
    insertIsolating(c, events, rejected);
    return rejected;
  }

  private void insertIsolating(Connection c, List<Event> events, List<Refused> rejected)
      throws SQLException {
    if (events.isEmpty()) {
      return;
    }
    Savepoint savepoint = c.setSavepoint();
    try {
      repository.insertRows(c, batches(events));
      c.releaseSavepoint(savepoint);
    } catch (SQLException e) {
      if (!DatabaseErrors.isCausedByData(e)) {
        throw e;
      }
      c.rollback(savepoint);
      if (events.size() == 1) {
        rejected.add(new Refused(events.get(0), e));
        return;
      }
      int half = events.size() / 2;
      insertIsolating(c, events.subList(0, half), rejected);
      insertIsolating(c, events.subList(half, events.size()), rejected);
    }
  }
}
