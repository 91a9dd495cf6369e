package io.eventworker.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * database/json-indexes.sql, the opt-in GIN indexes for JSON containment queries, run statement by
 * statement (CREATE INDEX CONCURRENTLY cannot share a transaction), and the indexes it builds.
 */
public final class JsonIndexScript {

  /** The opt-in script, run from the project's root. */
  public static final Path FILE = Path.of("database", "json-indexes.sql");

  /** One index the script builds: its name and its table. */
  public record Index(String name, String table) {}

  private static final Pattern CREATE =
      Pattern.compile("CREATE INDEX CONCURRENTLY (\\w+) ON (\\w+)");

  private JsonIndexScript() {}

  /** The script's statements, comments left out. */
  public static List<String> statements() {
    String text;
    try {
      text = Files.readString(FILE, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + FILE.toAbsolutePath(), e);
    }
    String code = text.lines().filter(l -> !l.startsWith("--")).collect(Collectors.joining("\n"));
    return Arrays.stream(code.split(";")).map(String::strip).filter(s -> !s.isEmpty()).toList();
  }

  /** The indexes the script builds, in its order. */
  public static List<Index> indexes() {
    return statements().stream()
        .map(CREATE::matcher)
        .filter(Matcher::find)
        .map(m -> new Index(m.group(1), m.group(2)))
        .toList();
  }

  /** Runs the script on {@code c}, which must be in auto-commit mode. */
  public static void run(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (String sql : statements()) {
        s.execute(sql);
      }
    }
  }

  /** Drops the script's indexes from {@code c}'s database, if there. */
  public static void drop(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      for (Index index : indexes()) {
        s.execute("DROP INDEX IF EXISTS " + index.name());
      }
    }
  }
}
