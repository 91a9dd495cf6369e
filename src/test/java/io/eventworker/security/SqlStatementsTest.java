package io.eventworker.security;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every SQL statement of the worker takes its values as bind parameters. Statements prepared from
 * constants, and literal SQL with no value in it, pass by rule; every other place that hands SQL
 * to the driver is listed below with the reason it is safe, so that a new one fails this test
 * until someone has looked at it.
 */
class SqlStatementsTest {

  private static final Path SOURCES = Path.of("src/main/java");
  private static final Pattern CALL =
      Pattern.compile("(prepareStatement|copyIn|execute|executeQuery|executeUpdate)\\((?!\\))");
  private static final Pattern CONSTANT = Pattern.compile(
      "(prepareStatement|execute|executeQuery)\\(([A-Z][A-Z0-9_]*|\\w+ == null \\? [A-Z][A-Z0-9_]* : [A-Z][A-Z0-9_]*)\\)");
  private static final Pattern DECLARATION = Pattern.compile("^(public |private |protected |static )*[\\w<>, ]+ \\w+\\(.*\\) (throws .*)?\\{$");
  private static final Pattern LITERAL = Pattern.compile("(execute|executeQuery|executeUpdate)\\(\"[^\"+]*\"\\)");

  /** File, a fragment of the line, and why it needs no bind parameter. */
  private static final Map<String, String> REVIEWED = Map.ofEntries(
      Map.entry("worker/InsertListener.java|\"LISTEN \" + EventRepository.CHANNEL", "a constant channel name; LISTEN takes no parameters"),
      Map.entry("bench/LatencyProbe.java|\"LISTEN \" + CHANNEL", "a constant channel name; LISTEN takes no parameters"),
      Map.entry("db/V1__Seed_schema.java|statement.execute(script())", "runs database/init.sql, the seed's schema: no values"),
      Map.entry("db/ConnectionPool.java|prepareStatement(\"SELECT set_config('TimeZone', ?, false)\")", "the zone is a bind parameter"),
      Map.entry("queue/RowBatch.java|prepareStatement(target.sql())", "RowInsert builds it from checked identifiers and a fixed list of types; values are bound as arrays"),
      Map.entry("queue/EventRepository.java|prepareStatement(completion(rows, !failures.isEmpty()))", "RowInsert statements and a constant as WITH clauses of a constant UPDATE; values bound"),
      Map.entry("queue/EventFileLoader.java|copyIn(COPY)", "a constant COPY; its rows are data, never SQL"),
      Map.entry("bench/BenchDatabase.java|\"CREATE DATABASE \" + name", "identifiers cannot be bound; the benchmark generates the name (letters, digits, underscores)"),
      Map.entry("bench/BenchDatabase.java|\"DROP DATABASE IF EXISTS \" + name()", "identifiers cannot be bound; the benchmark generated the name"),
      Map.entry("bench/BenchDatabase.java|s.execute(sql)", "the benchmark's own constant statements (VACUUM, TRUNCATE)"),
      Map.entry("bench/BenchDatabase.java|s.executeQuery(sql)", "the benchmark's own constant queries"),
      Map.entry("bench/Ingest.java|prepareStatement(sql.toString())", "a multi-row INSERT made of placeholders only"),
      Map.entry("cli/Main.java|execute(", "picocli running the command line, not SQL"));

  @Test
  void everyStatementTakesItsValuesAsBindParameters() throws IOException {
    List<String> unreviewed = new ArrayList<>();
    int sites = 0;
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String name = SOURCES.resolve("io/eventworker").relativize(file).toString();
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
          String line = lines.get(i).trim();
          if (!CALL.matcher(line).find() || line.startsWith("*") || line.startsWith("/") || DECLARATION.matcher(line).find()) {
            continue;
          }
          sites++;
          if (CONSTANT.matcher(line).find() || LITERAL.matcher(line).find() || reviewed(name, line)) {
            continue;
          }
          unreviewed.add(name + ":" + (i + 1) + ": " + line);
        }
      }
    }
    assertTrue(sites > 20, "found the statement call sites (" + sites + ")");
    assertTrue(unreviewed.isEmpty(),
        "SQL handed to the driver that is neither a constant nor reviewed: bind the values, or review and list it\n"
            + String.join("\n", unreviewed));
  }

  @Test
  void theSqlConstantsAreWrittenOutNotAssembled() throws IOException {
    // A constant built with + from something other than literals could carry a value.
    Pattern assembled = Pattern.compile("static final String [A-Z_]+ =[^;]*\"\\s*\\+\\s*[a-z]");
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(SOURCES)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).toList()) {
        String text = Files.readString(file).replaceAll("\\s+", " ");
        var m = assembled.matcher(text);
        while (m.find()) {
          found.add(file + ": " + m.group());
        }
      }
    }
    assertTrue(found.isEmpty(), String.join("\n", found));
  }

  private static boolean reviewed(String file, String line) {
    return REVIEWED.keySet().stream().anyMatch(key -> {
      String[] parts = key.split("\\|", 2);
      return parts[0].equals(file) && line.contains(parts[1]);
    });
  }
}
