package io.eventworker.config;

import java.util.Set;

/** The settings whose values are names from a fixed set: each checked, with what was expected. */
final class SettingRules {

  private static final Set<String> LOG_LEVELS =
      Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "OFF");

  private SettingRules() {}

  /**
   * A name of the IANA time zone database, which PostgreSQL reads as Java does. Java's other forms
   * are refused: PostgreSQL rejects Z and UT, and reads UTC+5 or +05:00 as five hours west of UTC
   * (the POSIX sign) where Java reads five hours east. Java's SystemV names are not PostgreSQL's.
   */
  static String timeZone(String zone) {
    if (!java.time.ZoneId.getAvailableZoneIds().contains(zone) || zone.startsWith("SystemV/")) {
      throw new ConfigException(
          "DB_TIMEZONE",
          zone,
          "expected a time zone name such as UTC or Europe/Berlin (not an offset such as +05:00,"
              + " which PostgreSQL reads with the opposite sign; Etc/GMT-5 is a fixed UTC+5)");
    }
    return zone;
  }

  static String httpHost(String host) {
    try {
      java.net.InetAddress.getByName(host);
      return host;
    } catch (java.net.UnknownHostException e) {
      throw new ConfigException(
          "HTTP_HOST", host, "expected an address of this machine, such as 0.0.0.0 or 127.0.0.1");
    }
  }

  /** Whether events of types this worker has no handler for are failed (true) or left (false). */
  static boolean unhandledTypes(String value) {
    return switch (value) {
      case "leave" -> false;
      case "fail" -> true;
      default ->
          throw new ConfigException(
              "UNHANDLED_EVENT_TYPES",
              value,
              "expected leave (another deployment handles them) or fail");
    };
  }

  static String logFormat(String format) {
    if (!format.equals("plain") && !format.equals("json")) {
      throw new ConfigException("LOG_FORMAT", format, "expected plain or json");
    }
    return format;
  }

  static String logLevel(String level) {
    String upper = level.toUpperCase(java.util.Locale.ROOT);
    if (!LOG_LEVELS.contains(upper)) {
      throw new ConfigException(
          "LOG_LEVEL", level, "expected one of TRACE, DEBUG, INFO, WARN, ERROR, OFF");
    }
    return upper;
  }
}
