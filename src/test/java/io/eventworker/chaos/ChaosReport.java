package io.eventworker.chaos;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The suite's results: one row per scenario, the recovery times measured, and the report file. */
final class ChaosReport {

  /** One scenario's outcome. {@code recovery} and {@code notes} are free text ("-" when none). */
  record Row(
      String scenario,
      long events,
      long processed,
      long failed,
      long lost,
      long duplicated,
      long stray,
      String recovery,
      String notes,
      String verdict) {}

  /** One measured recovery: from the fault's end to processing resuming. */
  record Measurement(
      String scenario,
      String fault,
      double resumedSeconds,
      double caughtUpSeconds,
      double readySeconds) {}

  static final int SCENARIOS = 6;

  private final List<Row> rows = new ArrayList<>();
  private final List<Measurement> measurements = new ArrayList<>();
  private final String postgresVersion;
  private final long startedNanos = System.nanoTime();
  private final ZonedDateTime startedAt = ZonedDateTime.now(ZoneOffset.UTC);

  ChaosReport(String postgresVersion) {
    this.postgresVersion = postgresVersion;
  }

  synchronized void add(Row row) {
    rows.removeIf(r -> r.scenario().equals(row.scenario()));
    rows.add(row);
    rows.sort((a, b) -> a.scenario().compareTo(b.scenario()));
  }

  /** Marks a scenario's row failed (an assertion after its invariant check). */
  synchronized void markFailed(String scenario, String why) {
    for (int i = 0; i < rows.size(); i++) {
      Row r = rows.get(i);
      if (r.scenario().equals(scenario)) {
        rows.set(
            i,
            new Row(
                r.scenario(),
                r.events(),
                r.processed(),
                r.failed(),
                r.lost(),
                r.duplicated(),
                r.stray(),
                r.recovery(),
                r.notes() + "; FAILED: " + why,
                "FAIL"));
      }
    }
  }

  synchronized boolean has(String scenario) {
    return rows.stream().anyMatch(r -> r.scenario().equals(scenario));
  }

  synchronized void measure(
      String scenario,
      String fault,
      double resumedSeconds,
      double caughtUpSeconds,
      double readySeconds) {
    measurements.add(
        new Measurement(scenario, fault, resumedSeconds, caughtUpSeconds, readySeconds));
  }

  /** Every scenario ran (passed or not): the report describes a whole run. */
  synchronized boolean complete() {
    return rows.size() == SCENARIOS;
  }

  synchronized String table() {
    StringBuilder t = new StringBuilder();
    t.append(
        "| scenario | events | processed | failed | lost | duplicated | stray | recovery time |"
            + " notes | verdict |\n");
    t.append("|---|---:|---:|---:|---:|---:|---:|---|---|---|\n");
    for (Row r : rows) {
      t.append(
          String.format(
              Locale.ROOT,
              "| %s | %,d | %,d | %,d | %d | %d | %d | %s | %s | %s |%n",
              r.scenario(),
              r.events(),
              r.processed(),
              r.failed(),
              r.lost(),
              r.duplicated(),
              r.stray(),
              r.recovery(),
              r.notes(),
              r.verdict()));
    }
    return t.toString();
  }

  synchronized String recoveryTable() {
    StringBuilder t = new StringBuilder();
    t.append("| scenario | fault | processing resumed | caught up | all workers ready |\n");
    t.append("|---|---|---:|---:|---:|\n");
    for (Measurement m : measurements) {
      t.append(
          String.format(
              Locale.ROOT,
              "| %s | %s | %.2f s | %.2f s | %.2f s |%n",
              m.scenario(),
              m.fault(),
              m.resumedSeconds(),
              m.caughtUpSeconds(),
              m.readySeconds()));
    }
    return t.toString();
  }

  Duration runtime() {
    return Duration.ofNanos(System.nanoTime() - startedNanos);
  }

  /** What the suite ran on. */
  String machine() {
    Runtime rt = Runtime.getRuntime();
    return String.format(
        Locale.ROOT,
        "%d cores (%s), %s memory, %s %s; %s; Java %s",
        rt.availableProcessors(),
        cpuModel(),
        memory(),
        System.getProperty("os.name"),
        System.getProperty("os.version"),
        postgresVersion,
        System.getProperty("java.version"));
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return System.getProperty("os.arch");
  }

  private static String memory() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux
    }
    return "unknown";
  }

  /**
   * {@code doc} with its scenario table's rows that start with {@code prefix} replaced by {@code
   * rows}, appended after the table's last row. The suite's classes each own their rows of one
   * table: ChaosIT rows 1-6, FailoverIT rows 7, each rewritten only by a run of its own class.
   */
  static String replaceRows(String doc, String prefix, List<String> rows) {
    List<String> lines = new ArrayList<>(doc.lines().filter(l -> !l.startsWith(prefix)).toList());
    int header = -1;
    for (int i = 0; i < lines.size() && header < 0; i++) {
      if (lines.get(i).startsWith("| scenario | events |")) {
        header = i;
      }
    }
    if (header < 0) {
      throw new IllegalArgumentException("no scenario table in the report");
    }
    int end = header;
    while (end + 1 < lines.size() && lines.get(end + 1).startsWith("|")) {
      end++;
    }
    lines.addAll(end + 1, rows);
    return String.join("\n", lines) + "\n";
  }

  /** The table rows of {@code doc} that start with {@code prefix}. */
  static List<String> rows(String doc, String prefix) {
    return doc.lines().filter(l -> l.startsWith(prefix)).toList();
  }

  /** The rows of this run's table, one line each, as {@link #table()} prints them. */
  synchronized List<String> rowLines() {
    return table().lines().skip(2).toList();
  }

  /** Prints the tables to standard output. */
  synchronized void print() {
    System.out.println();
    System.out.println(
        "[chaos] results (" + machine() + "), suite ran " + seconds(runtime()) + ":");
    System.out.print(table());
    System.out.println("[chaos] recovery times:");
    System.out.print(recoveryTable());
  }

  private static String seconds(Duration d) {
    return String.format(Locale.ROOT, "%d min %02d s", d.toMinutes(), d.toSecondsPart());
  }

  /**
   * Writes the report (see ChaosDoc): the run's tables and what each scenario and timeout means.
   */
  synchronized void write(Path file) throws IOException {
    String doc =
        ChaosDoc.TEXT
            .replace(
                "{date}", startedAt.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
            .replace("{machine}", machine())
            .replace("{runtime}", seconds(runtime()))
            .replace("{table}", table().strip())
            .replace("{recovery}", recoveryTable().strip());
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, doc, StandardCharsets.UTF_8);
  }
}
