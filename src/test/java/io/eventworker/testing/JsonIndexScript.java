package io.eventworker.testing;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The SQL that builds the GIN indexes for JSON containment queries, as shipped, run statement by
 * statement (CREATE INDEX CONCURRENTLY cannot share a transaction), and the indexes it builds.
 */
public final class JsonIndexScript {

  /** Where the script is on the class path. */
  public static final String RESOURCE = "/io/eventworker/db/migration/V9__json_indexes.sql";

  /** One index the script builds: its name and its table. */
  public record Index(String name, String table) {}

  private static final Pattern CREATE =
      Pattern.compile("CREATE INDEX CONCURRENTLY (\\w+) ON (\\w+)");

  private JsonIndexScript() {}

  /** The script's statements, comments left out. */
  public static List<String> statements() {
    String text;
    try (InputStream in = JsonIndexScript.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException(RESOURCE + " is missing from the class path");
      }
      text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + RESOURCE, e);
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
