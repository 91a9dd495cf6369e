package io.eventworker.config;

import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Typed reads of environment variables. A blank variable counts as unset; a bad value throws a
 * {@link ConfigException} that names the variable, the value and what was expected.
 */
public final class Settings {

  private static final Pattern DURATION = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

  private final Map<String, String> env;

  public Settings(Map<String, String> env) {
    this.env = env;
  }

  /** The raw value, or {@code fallback} when the variable is unset or blank. */
  public String string(String name, String fallback) {
    String value = env.get(name);
    return value == null || value.isBlank() ? fallback : value.trim();
  }

  public int integer(String name, int fallback, int min, int max) {
    String value = string(name, null);
    if (value == null) {
      return fallback;
    }
    int parsed;
    try {
      parsed = Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new ConfigException(name, value, "expected a whole number from " + min + " to " + max);
    }
    if (parsed < min || parsed > max) {
      throw new ConfigException(name, value, "expected a whole number from " + min + " to " + max);
    }
    return parsed;
  }

  /** {@code true} or {@code false}, or {@code fallback} when unset. */
  public boolean bool(String name, boolean fallback) {
    String value = string(name, null);
    if (value == null) {
      return fallback;
    }
    return switch (value) {
      case "true" -> true;
      case "false" -> false;
      default -> throw new ConfigException(name, value, "expected true or false");
    };
  }

  public Duration duration(String name, Duration fallback, Duration min, Duration max) {
    String value = string(name, null);
    if (value == null) {
      return fallback;
    }
    Duration parsed = parseDuration(value);
    if (parsed == null) {
      throw new ConfigException(
          name, value, "expected a duration with a unit, such as 500ms, 30s, 5m, 1h or 7d");
    }
    if (parsed.compareTo(min) < 0 || parsed.compareTo(max) > 0) {
      throw new ConfigException(
          name, value, "expected a duration from " + format(min) + " to " + format(max));
    }
    return parsed;
  }

  /** Parses {@code 500ms}, {@code 30s}, {@code 5m}, {@code 1h} or {@code 7d}; null if malformed. */
  public static Duration parseDuration(String text) {
    Matcher m = DURATION.matcher(text.trim());
    if (!m.matches()) {
      return null;
    }
    long amount;
    try {
      amount = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      return null;
    }
    try {
      return switch (m.group(2)) {
        case "ms" -> Duration.ofMillis(amount);
        case "s" -> Duration.ofSeconds(amount);
        case "m" -> Duration.ofMinutes(amount);
        case "h" -> Duration.ofHours(amount);
        default -> Duration.ofDays(amount);
      };
    } catch (ArithmeticException e) {
      return null;
    }
  }

  /**
   * Renders a duration the way it is written in settings: {@code 250ms}, {@code 30s}, {@code 7d}.
   */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000 == 0 && ms > 0) {
      return ms / 86_400_000 + "d";
    }
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0 && ms > 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
