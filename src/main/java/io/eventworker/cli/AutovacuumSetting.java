package io.eventworker.cli;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Whether the server runs autovacuum at all. Migration V5 tunes autovacuum for the events table,
 * but with autovacuum off server-wide those settings do nothing and the dead rows of processed
 * events pile up unnoticed, so {@code run} warns and {@code status} tells.
 */
final class AutovacuumSetting {

  static final String OFF_WARNING =
      "autovacuum is off on this server: the events table's autovacuum settings do nothing, and"
          + " the dead rows of processed events pile up until someone runs VACUUM; set"
          + " autovacuum = on in postgresql.conf";

  private static final String SETTING =
      """
      SELECT setting = 'on' FROM pg_settings WHERE name = 'autovacuum'
      """;

  private AutovacuumSetting() {}

  /** True if the server runs autovacuum. */
  static boolean isOn(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(SETTING)) {
      return !rs.next() || rs.getBoolean(1);
    }
  }
}
