package io.eventworker.testing;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The original description's get_user_statistics, taken from database/init.sql as written and
 * created under another name, to compare with the function the migrations leave in its place.
 */
public final class OriginalUserStatistics {

  /** The name the original is created under. */
  public static final String NAME = "get_user_statistics_original";

  private static final Pattern DEFINITION =
      Pattern.compile(
          "CREATE OR REPLACE FUNCTION get_user_statistics\\(.*?\\$\\$ LANGUAGE plpgsql;",
          Pattern.DOTALL);

  private OriginalUserStatistics() {}

  /** The original's CREATE FUNCTION statement, renamed to {@link #NAME}. */
  public static String definition() {
    Matcher m = DEFINITION.matcher(TestDatabase.initSql());
    if (!m.find()) {
      throw new IllegalStateException("database/init.sql defines no get_user_statistics");
    }
    return m.group().replaceFirst("get_user_statistics\\(", NAME + "(");
  }

  /** Creates the original, renamed, in {@code c}'s database. */
  public static void create(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(definition());
    }
  }
}
