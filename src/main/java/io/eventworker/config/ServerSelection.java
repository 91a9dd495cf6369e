package io.eventworker.config;

import java.util.Properties;
import org.postgresql.Driver;
import org.postgresql.hostchooser.HostRequirement;

/**
 * The driver's server-selection parameters of a JDBC URL ({@code targetServerType}, {@code
 * hostRecheckSeconds}), checked at start-up: the driver would reject a bad value only at the first
 * connection, and the worker, which writes, must never settle on a standby.
 */
final class ServerSelection {

  private static final String TARGET = "targetServerType";
  private static final String RECHECK = "hostRecheckSeconds";

  private ServerSelection() {}

  /** Throws naming {@code setting} and {@code shown} (the masked URL) if a parameter is bad. */
  static void check(String setting, String shown, String jdbcUrl) {
    Properties props = Driver.parseURL(jdbcUrl, null);
    if (props == null) {
      throw new ConfigException(setting, shown, "not a valid jdbc:postgresql: URL");
    }
    int hosts = props.getProperty("PGHOST", "").split(",", -1).length;
    String target = props.getProperty(TARGET);
    HostRequirement requirement = HostRequirement.any;
    if (target != null) {
      try {
        requirement = HostRequirement.getTargetServerType(target);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(
            setting,
            shown,
            TARGET
                + "="
                + target
                + " is not one of any, primary, secondary, preferPrimary, preferSecondary");
      }
    }
    // With several hosts, "any" (the driver's default) or a preference would let the worker
    // connect to a standby, where every claim fails as read-only, after a failover or from start.
    if (hosts > 1
        && requirement != HostRequirement.primary
        && requirement != HostRequirement.master) {
      throw new ConfigException(
          setting,
          shown,
          "a URL with "
              + hosts
              + " hosts needs "
              + TARGET
              + "=primary, so that the worker connects only to the server that accepts writes");
    }
    String recheck = props.getProperty(RECHECK);
    if (recheck != null && !recheck.matches("[0-9]{1,5}")) {
      throw new ConfigException(
          setting, shown, RECHECK + "=" + recheck + " is not a whole number of seconds");
    }
  }
}
