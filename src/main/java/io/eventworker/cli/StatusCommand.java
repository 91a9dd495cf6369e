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
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
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
      "Besides the counts: which types have no handler here, the age of the oldest pending event,"
          + " the most frequent errors of failed events, and whether the server runs autovacuum."
    })
final class StatusCommand implements Callable<Integer> {

  private static final List<String> STATUSES = List.of("pending", "processed", "failed");
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
    // type -> status -> count, with every usual status present.
    Map<String, Map<String, Long>> table = new TreeMap<>();
    Set<String> statuses = new LinkedHashSet<>(STATUSES);
    for (TypeStatusCount row : counts) {
      statuses.add(row.status());
      table
          .computeIfAbsent(row.eventType(), t -> new TreeMap<>())
          .merge(row.status(), row.count(), Long::sum);
    }
    Double oldest =
        depth.stream()
            .filter(d -> d.status().equals("pending"))
            .map(QueueDepth::oldestAgeSeconds)
            .max(Double::compare)
            .orElse(null);
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      ObjectNode root = toJson(table, statuses, oldest, handlers, errors);
      root.put("autovacuum", autovacuum);
      out.println(root.toPrettyString());
    } else {
      printTable(out, table, statuses, oldest, handlers);
      out.println(autovacuum ? "autovacuum: on" : "warning: " + AutovacuumSetting.OFF_WARNING);
      if (!errors.isEmpty()) {
        out.println("most frequent errors of failed events:");
        errors.forEach(e -> out.printf("%10d  %s%n", e.count(), e.error()));
      }
    }
    return 0;
  }

  private static ObjectNode toJson(
      Map<String, Map<String, Long>> table,
      Set<String> statuses,
      Double oldest,
      Handlers handlers,
      List<ErrorCount> errors) {
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode byType = root.putObject("by_type");
    ObjectNode totals = root.putObject("totals");
    statuses.forEach(s -> totals.put(s, 0L));
    table.forEach(
        (type, row) -> {
          ObjectNode node = byType.putObject(type);
          for (String s : statuses) {
            long n = row.getOrDefault(s, 0L);
            node.put(s, n);
            totals.put(s, totals.get(s).asLong() + n);
          }
          node.put("handled", handlers.forType(type) != null);
        });
    if (oldest == null) {
      root.putNull("oldest_pending_age_seconds");
    } else {
      root.put("oldest_pending_age_seconds", Math.round(oldest * 1000) / 1000.0);
    }
    var top = root.putArray("top_errors");
    errors.forEach(e -> top.addObject().put("error", e.error()).put("count", e.count()));
    return root;
  }

  private static void printTable(
      PrintWriter out,
      Map<String, Map<String, Long>> table,
      Set<String> statuses,
      Double oldest,
      Handlers handlers) {
    int width = Math.max(10, table.keySet().stream().mapToInt(String::length).max().orElse(0));
    StringBuilder header = new StringBuilder(String.format("%-" + width + "s", "event type"));
    statuses.forEach(s -> header.append(String.format(" %12s", s)));
    out.println(header);
    Map<String, Long> totals = new TreeMap<>();
    table.forEach(
        (type, row) -> {
          StringBuilder line = new StringBuilder(String.format("%-" + width + "s", type));
          for (String s : statuses) {
            long n = row.getOrDefault(s, 0L);
            totals.merge(s, n, Long::sum);
            line.append(String.format(" %12d", n));
          }
          if (handlers.forType(type) == null) {
            line.append("   (no handler: stays pending)");
          }
          out.println(line);
        });
    StringBuilder total = new StringBuilder(String.format("%-" + width + "s", "total"));
    statuses.forEach(s -> total.append(String.format(" %12d", totals.getOrDefault(s, 0L))));
    out.println(total);
    out.println(
        oldest == null
            ? "oldest pending event: none pending"
            : String.format("oldest pending event: %.1f s old", oldest));
  }
}
