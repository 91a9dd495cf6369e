package io.eventworker.bench;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.eventworker.json.Json;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The benchmark's results: a table for people, JSON for scripts, each figure with its target. */
public final class BenchReport {

  /** One line of the table. */
  private record Row(
      String name,
      String events,
      String seconds,
      String value,
      String comparison,
      String target,
      Boolean met) {}

  private final Map<String, Object> facts = new LinkedHashMap<>();
  private final List<Row> rows = new ArrayList<>();
  private final List<String> tables = new ArrayList<>();
  private final ObjectNode json = Json.MAPPER.createObjectNode();
  private final ObjectNode results = json.putObject("results");

  void fact(String name, Object value) {
    facts.put(name, value);
    json.with("machine").putPOJO(name, value);
  }

  /**
   * A throughput: {@code events} in {@code seconds}, with {@code ratio} to the line it is compared
   * with ({@code comparedWith}), and the lowest ratio the target allows (null: none).
   */
  void throughput(
      String key,
      String name,
      long events,
      double seconds,
      Double ratio,
      String comparedWith,
      Double target) {
    double rate = events / seconds;
    rows.add(
        new Row(
            name,
            Long.toString(events),
            format("%.2f", seconds),
            format("%,.0f/s", rate),
            ratio == null ? "" : format("%.2f %s", ratio, comparedWith),
            target == null ? "" : format(">= %.2f", target),
            target == null ? null : ratio >= target));
    ObjectNode r = results.putObject(key);
    r.put("events", events)
        .put("seconds", round(seconds))
        .put("events_per_second", Math.round(rate));
    if (ratio != null) {
      r.put("ratio", round(ratio)).put("compared_with", comparedWith);
    }
    if (target != null) {
      r.put("target_ratio", target).put("met", ratio >= target);
    }
  }

  /** Latencies in milliseconds, with the highest p50 and p99 allowed (null: none). */
  void latency(String key, String name, List<Double> millis, Double p50Target, Double p99Target) {
    List<Double> sorted = new ArrayList<>(millis);
    sorted.sort(Double::compare);
    double p50 = percentile(sorted, 0.50);
    double p99 = percentile(sorted, 0.99);
    double max = sorted.get(sorted.size() - 1);
    boolean met = (p50Target == null || p50 < p50Target) && (p99Target == null || p99 < p99Target);
    String target =
        (p50Target == null ? "" : format("p50 < %.0f ", p50Target))
            + (p99Target == null ? "" : format("p99 < %.0f ms", p99Target));
    rows.add(
        new Row(
            name,
            Integer.toString(sorted.size()),
            "",
            format("p50 %.1f / p99 %.1f / max %.1f ms", p50, p99, max),
            "",
            target.trim(),
            met));
    results
        .putObject(key)
        .put("samples", sorted.size())
        .put("p50_ms", round(p50))
        .put("p99_ms", round(p99))
        .put("max_ms", round(max))
        .put("met", met);
  }

  /**
   * Any other figure, with its target: at least {@code atLeast} or below {@code below} (null:
   * none).
   */
  void value(String key, String name, double value, String unit, Double atLeast, Double below) {
    Boolean met =
        atLeast != null
            ? (Boolean) (value >= atLeast)
            : below != null ? (Boolean) (value < below) : null;
    String target =
        atLeast != null
            ? format(">= %,.0f %s", atLeast, unit)
            : below != null ? format("< %,.0f %s", below, unit) : "";
    rows.add(new Row(name, "", "", format("%,.1f %s", value, unit), "", target, met));
    ObjectNode r = results.putObject(key).put("value", round(value)).put("unit", unit);
    if (met != null) {
      r.put("target", target).put("met", met);
    }
  }

  /** A line of a sweep: a setting and the throughput it gave. */
  void sweep(String settings, long events, double seconds) {
    ArrayNode sweep = json.withArray("sweep");
    sweep
        .addObject()
        .put("settings", settings)
        .put("events", events)
        .put("seconds", round(seconds))
        .put("events_per_second", Math.round(events / seconds));
    rows.add(
        new Row(
            "sweep: " + settings,
            Long.toString(events),
            format("%.2f", seconds),
            format("%,.0f/s", events / seconds),
            "",
            "",
            null));
  }

  /**
   * A check with a yes-or-no outcome, such as nothing lost: what was seen, and whether it holds.
   */
  void check(String key, String name, long events, String seen, String target, boolean met) {
    rows.add(new Row(name, Long.toString(events), "", seen, "", target, met));
    results.putObject(key).put("events", events).put("seen", seen).put("met", met);
  }

  /**
   * A table of its own, printed after the main one: {@code header} names the columns, each row
   * holds one text per column; the JSON gets the same rows as objects under {@code key}. Returns
   * the table's text, for the progress output (a later failure would lose the report).
   */
  String table(String key, String title, List<String> header, List<List<String>> lines) {
    ArrayNode array = json.withArray(key);
    int[] widths = new int[header.size()];
    for (int i = 0; i < widths.length; i++) {
      widths[i] = header.get(i).length();
      for (List<String> line : lines) {
        widths[i] = Math.max(widths[i], line.get(i).length());
      }
    }
    StringBuilder out = new StringBuilder("\n").append(title).append('\n');
    out.append(tableLine(header, widths));
    for (List<String> line : lines) {
      out.append(tableLine(line, widths));
      ObjectNode o = array.addObject();
      for (int i = 0; i < header.size(); i++) {
        o.put(header.get(i), line.get(i));
      }
    }
    tables.add(out.toString());
    return out.toString();
  }

  private static String tableLine(List<String> cells, int[] widths) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.size(); i++) {
      String cell = cells.get(i);
      line.append(i == 0 ? "" : "  ")
          .append(
              i == 0
                  ? cell + " ".repeat(widths[i] - cell.length())
                  : format("%" + widths[i] + "s", cell));
    }
    return line.toString().stripTrailing() + "\n";
  }

  public String table() {
    StringBuilder out = new StringBuilder();
    facts.forEach((k, v) -> out.append(format("%-20s %s%n", k, v)));
    out.append('\n');
    String line = "%-46s %9s %8s %36s %18s %22s  %s%n";
    out.append(format(line, "case", "events", "seconds", "result", "compared", "target", ""));
    for (Row r : rows) {
      out.append(
          format(
              line,
              r.name(),
              r.events(),
              r.seconds(),
              r.value(),
              r.comparison(),
              r.target(),
              r.met() == null ? "" : r.met() ? "met" : "MISSED"));
    }
    tables.forEach(out::append);
    return out.toString();
  }

  public String json() {
    return json.toPrettyString();
  }

  static double percentile(List<Double> sorted, double p) {
    int index = (int) Math.ceil(p * sorted.size()) - 1;
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
  }

  private static double round(double v) {
    return Math.round(v * 1000) / 1000.0;
  }

  static String format(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }
}
