package io.eventworker.console;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/** How the console writes numbers, rates, durations and times: short, and the same everywhere. */
final class ConsoleFormat {

  private static final DateTimeFormatter CLOCK =
      DateTimeFormatter.ofPattern("HH:mm:ss").withZone(ZoneOffset.UTC);

  private ConsoleFormat() {}

  /** {@code 1234567} as {@code 1,234,567}. */
  static String count(long n) {
    return String.format(Locale.ROOT, "%,d", n);
  }

  /** Events per second, with one decimal under a hundred. */
  static String rate(double perSecond) {
    return perSecond >= 100
        ? count(Math.round(perSecond))
        : String.format(Locale.ROOT, "%.1f", perSecond);
  }

  /** A duration in its two largest units: {@code 45 s}, {@code 3 m 20 s}, {@code 2 d 4 h}. */
  static String duration(double seconds) {
    long s = Math.max(0, Math.round(seconds));
    if (s < 60) {
      return s + " s";
    }
    if (s < 3600) {
      return s / 60 + " m " + s % 60 + " s";
    }
    if (s < 86_400) {
      return s / 3600 + " h " + s / 60 % 60 + " m";
    }
    return s / 86_400 + " d " + s / 3600 % 24 + " h";
  }

  /** A duration, or {@code none} when there is none. */
  static String durationOrNone(Double seconds) {
    return seconds == null ? "none" : duration(seconds);
  }

  /** The time of day, UTC, of {@code epochMillis}. */
  static String clock(long epochMillis) {
    return CLOCK.format(Instant.ofEpochMilli(epochMillis));
  }
}
