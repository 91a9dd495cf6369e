package io.eventworker.console;

import io.eventworker.queue.ConsoleQueries;
import io.eventworker.queue.ConsoleQueries.FailedCount;
import io.eventworker.queue.ConsoleQueries.ListedEvent;
import io.eventworker.queue.ConsoleQueries.PendingCount;
import io.eventworker.queue.EventMaintenance;
import io.eventworker.queue.EventMaintenance.ErrorCount;
import io.eventworker.queue.QueueReports;
import io.eventworker.queue.QueueReports.TableHealth;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** What the console shows of the database, read in one transaction. */
public record ConsoleView(
    List<TypeRow> types,
    TableHealth table,
    List<ErrorCount> topErrors,
    List<ListedEvent> nextScheduled,
    List<ListedEvent> latestFailed) {

  /** How many events each list holds at most. */
  public static final int LISTED = 10;

  /** How many event types have a line of their own. */
  public static final int TYPES_SHOWN = 50;

  /** One event type's line: pending due and scheduled, failed, and its times (null: none). */
  public record TypeRow(
      String eventType,
      long due,
      long scheduled,
      long failed,
      Double oldestDueSeconds,
      Double nextScheduledInSeconds) {}

  /** Reads everything the console shows, in the transaction {@code c} is in. */
  public static ConsoleView read(Connection c, boolean payloads) throws SQLException {
    ConsoleQueries queries = new ConsoleQueries();
    List<PendingCount> pending = queries.pendingByType(c);
    List<FailedCount> failed = queries.failedByType(c);
    List<String> scheduledTypes =
        pending.stream().filter(p -> p.scheduled() > 0).map(PendingCount::eventType).toList();
    List<String> failedTypes = failed.stream().map(FailedCount::eventType).toList();
    return new ConsoleView(
        byType(pending, failed),
        new QueueReports().tableHealth(c),
        new EventMaintenance().topErrors(c, LISTED),
        queries.nextScheduled(c, scheduledTypes, LISTED, payloads),
        queries.latestFailed(c, failedTypes, LISTED, payloads));
  }

  private static List<TypeRow> byType(List<PendingCount> pending, List<FailedCount> failed) {
    Map<String, TypeRow> rows = new TreeMap<>();
    for (PendingCount p : pending) {
      rows.put(
          p.eventType(),
          new TypeRow(
              p.eventType(), p.due(), p.scheduled(), 0, p.oldestDueSeconds(), p.nextInSeconds()));
    }
    for (FailedCount f : failed) {
      TypeRow row = rows.get(f.eventType());
      rows.put(
          f.eventType(),
          row == null
              ? new TypeRow(f.eventType(), 0, 0, f.failed(), null, null)
              : new TypeRow(
                  row.eventType(),
                  row.due(),
                  row.scheduled(),
                  f.failed(),
                  row.oldestDueSeconds(),
                  row.nextScheduledInSeconds()));
    }
    return largest(List.copyOf(rows.values()));
  }

  /**
   * The {@value #TYPES_SHOWN} types with the most events, by name, and one line summing the rest:
   * event types come from producers, and a page of thousands of lines is no view at a glance.
   */
  static List<TypeRow> largest(List<TypeRow> rows) {
    if (rows.size() <= TYPES_SHOWN) {
      return rows;
    }
    List<TypeRow> bySize = new java.util.ArrayList<>(rows);
    bySize.sort(
        java.util.Comparator.comparingLong((TypeRow r) -> r.due() + r.scheduled() + r.failed())
            .reversed());
    List<TypeRow> kept = new java.util.ArrayList<>(bySize.subList(0, TYPES_SHOWN));
    kept.sort(java.util.Comparator.comparing(TypeRow::eventType));
    List<TypeRow> rest = bySize.subList(TYPES_SHOWN, bySize.size());
    kept.add(
        new TypeRow(
            "(" + rest.size() + " other types)",
            rest.stream().mapToLong(TypeRow::due).sum(),
            rest.stream().mapToLong(TypeRow::scheduled).sum(),
            rest.stream().mapToLong(TypeRow::failed).sum(),
            rest.stream()
                .map(TypeRow::oldestDueSeconds)
                .filter(x -> x != null)
                .max(Double::compare)
                .orElse(null),
            rest.stream()
                .map(TypeRow::nextScheduledInSeconds)
                .filter(x -> x != null)
                .min(Double::compare)
                .orElse(null)));
    return List.copyOf(kept);
  }

  /** Due pending events of every type. */
  public long due() {
    return types.stream().mapToLong(TypeRow::due).sum();
  }

  /** Scheduled pending events (run_at in the future) of every type. */
  public long scheduled() {
    return types.stream().mapToLong(TypeRow::scheduled).sum();
  }

  /** Failed events of every type. */
  public long failed() {
    return types.stream().mapToLong(TypeRow::failed).sum();
  }

  /**
   * Processed events, estimated: the table's live rows by PostgreSQL's statistics less the pending
   * and failed ones counted. An exact count would read every processed row.
   */
  public long processedEstimate() {
    return Math.max(0, table.liveTuples() - due() - scheduled() - failed());
  }

  /**
   * How long the longest-waiting due event of the {@code handled} types has been due, or null when
   * none is: events of other types wait for another deployment, and have their own lines.
   */
  public Double oldestDueSeconds(Set<String> handled) {
    return types.stream()
        .filter(t -> handled.contains(t.eventType()))
        .map(TypeRow::oldestDueSeconds)
        .filter(s -> s != null)
        .max(Double::compare)
        .orElse(null);
  }
}
