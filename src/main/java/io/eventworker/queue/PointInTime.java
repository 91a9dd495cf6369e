package io.eventworker.queue;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/**
 * The points in time operators and producers write: a date ({@code 2026-11-24}), a time in
 * DB_TIMEZONE ({@code 2026-11-24T05:00}, or with a space for the T), or, where a time is stored as
 * a timestamptz, a time with its offset ({@code 2026-11-24T05:00Z}, {@code
 * 2026-11-24T06:00+01:00}).
 */
public final class PointInTime {

  /** What the parsers accept, for error messages. */
  public static final String LOCAL_FORMS = "a date (2026-11-24) or a time (2026-11-24T05:00)";

  /** The same with an offset allowed. */
  public static final String FORMS =
      "a date (2026-11-24), a time (2026-11-24T05:00) or a time with an offset"
          + " (2026-11-24T05:00Z, 2026-11-24T06:00+01:00)";

  private PointInTime() {}

  /** A date (its start) or a date and time, read in DB_TIMEZONE; null if neither. */
  public static LocalDateTime parseLocal(String text) {
    String t = text.strip();
    try {
      LocalDateTime time =
          t.length() == 10
              ? LocalDate.parse(t).atStartOfDay()
              : LocalDateTime.parse(t.replace(' ', 'T'));
      return inRange(time.getYear()) ? time : null;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * The text PostgreSQL reads as the timestamptz {@code text} means: a time with an offset as
   * written, a local one as a local ISO time that the session reads in DB_TIMEZONE. Null if {@code
   * text} is none of {@link #FORMS}.
   */
  public static String parseTimestamptz(String text) {
    LocalDateTime local = parseLocal(text);
    if (local != null) {
      return local.toString();
    }
    try {
      OffsetDateTime time = OffsetDateTime.parse(text.strip().replace(' ', 'T'));
      return inRange(time.getYear()) ? time.toString() : null;
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  // Four-digit years: what both java.time's ISO form and PostgreSQL read the same way.
  private static boolean inRange(int year) {
    return year >= 1 && year <= 9999;
  }
}
