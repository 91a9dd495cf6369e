package io.eventworker.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every SQL statement of the worker takes its values as bind parameters. Statements prepared from
 * constants, and literal SQL with no value in it, pass by rule; every other place that hands SQL to
 * the driver is listed below with the reason it is safe, so that a new one fails this test until
 * someone has looked at it.
 */
@Tag("unit")
class SqlStatementsTest {

  // The worker's sources and the benchmark's, which runs against the same servers.
  private static final List<Path> SOURCES =
      List.of(Path.of("src/main/java"), Path.of("src/bench/java"));
  private static final Pattern CALL =
      Pattern.compile("(prepareStatement|copyIn|execute|executeQuery|executeUpdate)\\((?!\\))");
  private static final Pattern CONSTANT =
      Pattern.compile(
          "(prepareStatement|execute|executeQuery)\\(([A-Z][A-Z0-9_]*|\\w+ == null \\?"
              + " [A-Z][A-Z0-9_]* : [A-Z][A-Z0-9_]*)\\)");
  private static final Pattern DECLARATION =
      Pattern.compile(
          "^(public |private |protected |static )*[\\w<>, ]+ \\w+\\(.*\\) (throws .*)?\\{$");
  private static final Pattern LITERAL =
      Pattern.compile("(execute|executeQuery|executeUpdate)\\(\"[^\"+]*\"\\)");
  // Comments, then text blocks, strings and char literals (group 1), in the order they appear.
  private static final Pattern TOKEN =
      Pattern.compile(
          "//[^\\n"
              + "]*|/\\*[\\s\\S]*?\\*/|(\"\"\"[\\s\\S]*?(?<!\\\\)\"\"\"|\"(?:[^\"\\\\\\n"
              + "]|\\\\.)*\"|'(?:[^'\\\\\\n"
              + "]|\\\\.)')");
  private static final Pattern SQL_WORD =
      Pattern.compile(
          "\\b(SELECT|INSERT|UPDATE|DELETE|FROM|WHERE|WITH|CREATE|DROP|ALTER|LISTEN|COPY)\\b");
  private static final Pattern STRING_CONSTANT =
      Pattern.compile("static final String ([A-Z][A-Z0-9_]*)\\s*=([^;]*);");
  // A + with something other than a literal's closing or opening quote on either side.
  private static final Pattern JOINS_NON_LITERAL =
      Pattern.compile("[^\"\\s]\\s*\\+|\\+\\s*[^\"\\s]");

  /** File, a fragment of the line, and why it needs no bind parameter. */
  private static final Map<String, String> REVIEWED =
      Map.ofEntries(
          Map.entry(
              "worker/InsertListener.java|\"LISTEN \" + EventRepository.CHANNEL",
              "a constant channel name; LISTEN takes no parameters"),
          Map.entry(
              "bench/LatencyProbe.java|\"LISTEN \" + CHANNEL",
              "a constant channel name; LISTEN takes no parameters"),
          Map.entry(
              "db/V1__Seed_schema.java|statement.execute(script())",
              "runs database/init.sql, the original description's schema: no values"),
          Map.entry(
              "db/SessionSettings.java|prepareStatement(onConnect)",
              "one of the class's constant set_config statements; the values are bind parameters"),
          Map.entry(
              "queue/RowBatch.java|prepareStatement(target.sql())",
              "RowInsert builds it from checked identifiers and a fixed list of types; values are"
                  + " bound as arrays"),
          Map.entry(
              "queue/EventRepository.java|prepareStatement(completion(rows, !failures.isEmpty()))",
              "RowInsert statements and a constant as WITH clauses of a constant UPDATE; values"
                  + " bound"),
          Map.entry(
              "queue/EventFileLoader.java|copyIn(COPY)",
              "a constant COPY; its rows are data, never SQL"),
          Map.entry(
              "queue/EventFileLoader.java|copyIn(StagedEvents.COPY)",
              "a constant COPY into the temporary table; its rows are data, never SQL"),
          Map.entry(
              "queue/EventInserts.java|prepareStatement(keyed ? INSERT_KEYED : INSERT)",
              "one of two constant INSERTs; the values are bind parameters"),
          Map.entry(
              "bench/BenchDatabase.java|\"CREATE DATABASE \" + name",
              "identifiers cannot be bound; the benchmark generates the name (letters, digits,"
                  + " underscores)"),
          Map.entry(
              "bench/BenchDatabase.java|\"DROP DATABASE IF EXISTS \" + name()",
              "identifiers cannot be bound; the benchmark generated the name"),
          Map.entry(
              "bench/BenchDatabase.java|s.execute(sql)",
              "the benchmark's own constant statements (VACUUM, TRUNCATE)"),
          Map.entry(
              "bench/BenchDatabase.java|s.executeQuery(sql)",
              "the benchmark's own constant queries"),
          Map.entry(
              "bench/Ingest.java|prepareStatement(sql.toString())",
              "a multi-row INSERT made of placeholders only"),
          Map.entry(
              "bench/UserStatistics.java|prepareStatement(sql)",
              "the case's own constant statements; the sizes are bind parameters"),
          Map.entry(
              "bench/GinIndexes.java|\"DROP INDEX \" + q.index()",
              "identifiers cannot be bound; the case's constant index names"),
          Map.entry("bench/GinIndexes.java|executeQuery(sql)", "the case's own constant queries"),
          Map.entry(
              "bench/GinIndexes.java|executeQuery(\"EXPLAIN \" + sql)",
              "EXPLAIN of the case's own constant queries"),
          Map.entry(
              "queue/ComposedStatements.java|prepareStatement(composer)",
              "a caller's constant query, its values bound, that composes statements with"
                  + " format()"),
          Map.entry(
              "queue/ComposedStatements.java|s.execute(sql)",
              "a statement the server composed with format(): names quoted by %I, values by %L"),
          Map.entry(
              "queue/ComposedStatements.java|s.executeQuery(query)",
              "a query the server composed with format(): names quoted by %I, values by %L"),
          Map.entry(
              "queue/PartitionRetention.java|s.executeUpdate(step.get(0))",
              "a DELETE the server composed with format(): the partition's name as regclass"
                  + " text, the values by %L"),
          Map.entry("cli/Main.java|execute(", "picocli running the command line, not SQL"),
          Map.entry(
              "bench/BenchCommand.java|cli.execute(args)",
              "picocli running the command line, not SQL"));

  @Test
  void everyStatementTakesItsValuesAsBindParameters() throws IOException {
    List<String> unreviewed = new ArrayList<>();
    int sites = 0;
    for (Path file : javaFiles()) {
      String name =
          file.subpath(3, file.getNameCount()).toString().substring("io/eventworker/".length());
      List<String> lines = Files.readAllLines(file);
      for (int i = 0; i < lines.size(); i++) {
        String line = lines.get(i).trim();
        if (!CALL.matcher(line).find()
            || line.startsWith("*")
            || line.startsWith("/")
            || DECLARATION.matcher(line).find()) {
          continue;
        }
        sites++;
        if (CONSTANT.matcher(line).find() || LITERAL.matcher(line).find() || reviewed(name, line)) {
          continue;
        }
        unreviewed.add(name + ":" + (i + 1) + ": " + line);
      }
    }
    assertTrue(sites > 20, "found the statement call sites (" + sites + ")");
    assertTrue(
        unreviewed.isEmpty(),
        "SQL handed to the driver that is neither a constant nor reviewed: bind the values, or"
            + " review and list it\n"
            + String.join("\n", unreviewed));
  }

  @Test
  void theSqlConstantsAreWrittenOutNotAssembled() throws IOException {
    // A constant built with + from something other than literals could carry a value. The check
    // first proves it catches the shapes it is for, so that it cannot pass by matching nothing.
    assertEquals(
        List.of("CLAIM"),
        assembledSqlConstants(
            """
            private static final String CLAIM = ClaimedRows.around(
                ClaimedRows.COLUMNS + \"""
                FROM events WHERE id = ?
                \""");
            """));
    assertEquals(
        List.of("BY_NAME"),
        assembledSqlConstants(
            "static final String BY_NAME = \"SELECT * FROM users WHERE name = '\" + name +"
                + " \"'\";"));
    assertEquals(
        List.of(),
        assembledSqlConstants(
            """
            // a comment with a quote " and SELECT + x in it
            private static final String JOINED = "SELECT a + b " + "FROM t WHERE c = ?";
            private static final String LABEL = "sql-floor:" + DataEntryHandler.TYPE;
            private static final String BLOCK = \"""
                SELECT total + 1 FROM t; -- "quoted" + text
                \""";
            """));

    List<String> found = new ArrayList<>();
    for (Path file : javaFiles()) {
      for (String constant : assembledSqlConstants(Files.readString(file))) {
        found.add(file + ": " + constant);
      }
    }
    assertTrue(
        found.isEmpty(),
        "SQL constants assembled with + from something other than literals:\n"
            + String.join("\n", found));
  }

  /**
   * The names of the String constants in {@code source} whose literals hold SQL and whose
   * initializer joins, with +, something that is not a literal (a variable, another constant, a
   * call). Comments are dropped and each literal becomes a marker first, so that a + or a ; inside
   * SQL text or a comment counts for nothing.
   */
  static List<String> assembledSqlConstants(String source) {
    Matcher token = TOKEN.matcher(source);
    StringBuilder code = new StringBuilder();
    while (token.find()) {
      String literal = token.group(1);
      String marker = literal == null ? " " : SQL_WORD.matcher(literal).find() ? "\"SQL\"" : "\"\"";
      token.appendReplacement(code, Matcher.quoteReplacement(marker));
    }
    token.appendTail(code);
    List<String> names = new ArrayList<>();
    Matcher constant = STRING_CONSTANT.matcher(code);
    while (constant.find()) {
      String initializer = constant.group(2);
      if (initializer.contains("\"SQL\"") && JOINS_NON_LITERAL.matcher(initializer).find()) {
        names.add(constant.group(1));
      }
    }
    return names;
  }

  private static List<Path> javaFiles() throws IOException {
    List<Path> found = new ArrayList<>();
    for (Path root : SOURCES) {
      try (Stream<Path> files = Files.walk(root)) {
        files.filter(f -> f.toString().endsWith(".java")).forEach(found::add);
      }
    }
    return found;
  }

  private static boolean reviewed(String file, String line) {
    return REVIEWED.keySet().stream()
        .anyMatch(
            key -> {
              String[] parts = key.split("\\|", 2);
              return parts[0].equals(file) && line.contains(parts[1]);
            });
  }
}
