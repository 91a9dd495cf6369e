package io.eventworker.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventworker.db.ConnectionPool;
import io.eventworker.json.Json;
import io.eventworker.queue.EventMaintenance;
import io.eventworker.queue.EventMaintenance.ErrorCount;
import io.eventworker.queue.QueueReports;
import io.eventworker.queue.QueueReports.QueueDepth;
import io.eventworker.queue.QueueReports.TypeStatusCount;
import io.eventworker.worker.Handlers;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Predicate;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** {@code event-worker status}: what is in the queue. */
@Command(
    name = "status",
    mixinStandardHelpOptions = true,
    description = {
      "Prints event counts by type and status, and what needs attention.",
      "Pending events are counted as due (run_at reached) or scheduled (due later: run_at set by"
          + " the producer, or a retry waiting out its backoff). Besides the counts: which types"
          + " have no handler here, how long the oldest due event of a type handled here has"
          + " waited since it fell due (and of the other types, apart), when the next scheduled"
          + " event falls due, the most frequent errors of failed events, and whether the server"
          + " runs autovacuum."
    })
final class StatusCommand implements Callable<Integer> {

  private static final List<String> STATUSES = List.of("pending", "processed", "failed");
  private static final String DUE = "due";
  private static final String SCHEDULED = "scheduled";
  private static final int TOP_ERRORS = 5;

  @ParentCommand Main main;
  @Spec CommandSpec spec;

  @Option(names = "--json", description = "print JSON instead of a table")
  boolean json;

  @Override
  public Integer call() throws SQLException {
    List<TypeStatusCount> counts;
    List<QueueDepth> depth;
    List<ErrorCount> errors;
    boolean autovacuum;
    QueueReports reports = new QueueReports();
    try (Connection c = ConnectionPool.openDedicated(main.config(), ConnectionPool.Use.COMMAND)) {
      c.setReadOnly(true);
      counts = reports.countByTypeAndStatus(c);
      depth = reports.queueDepth(c);
      errors = new EventMaintenance().topErrors(c, TOP_ERRORS);
      autovacuum = AutovacuumSetting.isOn(c);
    }
    Handlers handlers = Handlers.discover();
    // type -> status -> count, with every usual status present; pending split into due and
    // scheduled.
    Map<String, Map<String, Long>> table = new TreeMap<>();
    Set<String> statuses = new LinkedHashSet<>(STATUSES);
    for (TypeStatusCount row : counts) {
      statuses.add(row.status());
      table
          .computeIfAbsent(row.eventType(), t -> new TreeMap<>())
          .merge(row.status(), row.count(), Long::sum);
    }
    Waiting waiting = Waiting.of(depth, type -> handlers.forType(type) != null);
    depth.stream()
        .filter(d -> d.status().equals("pending"))
        .forEach(
            d ->
                table
                    .computeIfAbsent(d.eventType(), t -> new TreeMap<>())
                    .put(SCHEDULED, d.scheduled()));
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode root = toJson(table, statuses, waiting, handlers, errors);
      root.put("autovacuum", autovacuum);
      out.println(root.toPrettyString());
    } else {
      printTable(out, table, statuses, handlers);
      waiting.print(out);
      out.println(autovacuum ? "autovacuum: on" : "warning: " + AutovacuumSetting.OFF_WARNING);
      if (!errors.isEmpty()) {
        out.println("most frequent errors of failed events:");
        errors.forEach(e -> out.printf("%10d  %s%n", e.count(), e.error()));
      }
    }
    return 0;
  }

  /**
   * What waits, from the queue depth: the oldest due event of a handled type and of the others
   * (seconds since due), and the next scheduled event (seconds until due); null when none.
   */
  record Waiting(Double oldestHandled, Double oldestUnhandled, Double nextScheduledIn) {
    static Waiting of(List<QueueDepth> depth, Predicate<String> handled) {
      Double oldestHandled = null;
      Double oldestUnhandled = null;
      Double next = null;
      for (QueueDepth d : depth) {
        if (!d.status().equals("pending")) {
          continue;
        }
        if (handled.test(d.eventType())) {
          oldestHandled = max(oldestHandled, d.oldestDueAgeSeconds());
        } else {
          oldestUnhandled = max(oldestUnhandled, d.oldestDueAgeSeconds());
        }
        Double in = d.nextDueInSeconds();
        next = next == null || (in != null && in < next) ? in : next;
      }
      return new Waiting(oldestHandled, oldestUnhandled, next);
    }

    private static Double max(Double a, Double b) {
      return a == null ? b : b == null ? a : Double.valueOf(Math.max(a, b));
    }

    void print(PrintWriter out) {
      out.println(
          oldestHandled == null
              ? "oldest due event: none due"
              : String.format("oldest due event: waiting %.1f s since due", oldestHandled));
      if (oldestUnhandled != null) {
        out.printf(
            "oldest due event of a type without a handler here: waiting %.1f s since due%n",
            oldestUnhandled);
      }
      if (nextScheduledIn != null) {
        out.printf("next scheduled event: due in %.1f s%n", nextScheduledIn);
      }
    }

    void put(ObjectNode root) {
      putSeconds(root, "oldest_pending_age_seconds", oldestHandled);
      putSeconds(root, "oldest_unhandled_age_seconds", oldestUnhandled);
      putSeconds(root, "next_scheduled_in_seconds", nextScheduledIn);
    }

    private static void putSeconds(ObjectNode root, String name, Double seconds) {
      if (seconds == null) {
        root.putNull(name);
      } else {
        root.put(name, Math.round(seconds * 1000) / 1000.0);
      }
    }
  }

  private static ObjectNode toJson(
      Map<String, Map<String, Long>> table,
      Set<String> statuses,
      Waiting waiting,
      Handlers handlers,
      List<ErrorCount> errors) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode byType = root.putObject("by_type");
    ObjectNode totals = root.putObject("totals");
    List<String> columns = new ArrayList<>(statuses);
    columns.add(1, SCHEDULED);
    columns.forEach(s -> totals.put(s, 0L));
    table.forEach(
        (type, row) -> {
          ObjectNode node = byType.putObject(type);
          for (String s : columns) {
            long n = row.getOrDefault(s, 0L);
            node.put(s, n);
            totals.put(s, totals.get(s).asLong() + n);
          }
          node.put("handled", handlers.forType(type) != null);
        });
    waiting.put(root);
    var top = root.putArray("top_errors");
    errors.forEach(e -> top.addObject().put("error", e.error()).put("count", e.count()));
    return root;
  }

  private static void printTable(
      PrintWriter out,
      Map<String, Map<String, Long>> table,
      Set<String> statuses,
      Handlers handlers) {
    // Pending shows as its two parts, due and scheduled.
    List<String> columns = new ArrayList<>(statuses);
    columns.set(0, DUE);
    columns.add(1, SCHEDULED);
    int width = Math.max(10, table.keySet().stream().mapToInt(String::length).max().orElse(0));
    StringBuilder header = new StringBuilder(String.format("%-" + width + "s", "event type"));
    columns.forEach(s -> header.append(String.format(" %12s", s)));
    out.println(header);
    Map<String, Long> totals = new TreeMap<>();
    table.forEach(
        (type, row) -> {
          StringBuilder line = new StringBuilder(String.format("%-" + width + "s", type));
          for (String s : columns) {
            long n =
                s.equals(DUE)
                    ? row.getOrDefault("pending", 0L) - row.getOrDefault(SCHEDULED, 0L)
                    : row.getOrDefault(s, 0L);
            totals.merge(s, n, Long::sum);
            line.append(String.format(" %12d", n));
          }
          if (handlers.forType(type) == null) {
            line.append("   (no handler: stays pending)");
          }
          out.println(line);
        });
    StringBuilder total = new StringBuilder(String.format("%-" + width + "s", "total"));
    columns.forEach(s -> total.append(String.format(" %12d", totals.getOrDefault(s, 0L))));
    out.println(total);
  }
}
