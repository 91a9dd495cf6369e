package io.eventworker.config;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * The event types whose events are processed one user at a time, in id order (setting {@code
 * ORDERED_EVENT_TYPES}, docs/ORDERING.md): a comma-separated list, empty by default.
 */
public final class OrderedEventTypes {

  /** The setting's name. */
  public static final String SETTING = "ORDERED_EVENT_TYPES";

  // events.event_type is varchar(100).
  private static final int MAX_TYPE_LENGTH = 100;

  private OrderedEventTypes() {}

  /** The types listed in {@code value}, sorted; none if it is null or blank. */
  static Set<String> parse(String value) {
    Set<String> types = new TreeSet<>();
    if (value == null || value.isBlank()) {
      return Set.of();
    }
    for (String item : value.split(",", -1)) {
      String type = item.strip();
      if (type.isEmpty()) {
        throw new ConfigException(
            SETTING, value, "expected event types separated by commas, with none empty");
      }
      if (type.codePointCount(0, type.length()) > MAX_TYPE_LENGTH) {
        throw new ConfigException(
            SETTING, value, "'" + type + "' is longer than an event type can be (100)");
      }
      types.add(type);
    }
    return Collections.unmodifiableSet(types);
  }

  /**
   * Checks that every type in {@code ordered} has a handler among {@code handled}: a misspelt type
   * would otherwise leave the real one unordered without a word.
   */
  public static void requireHandled(Set<String> ordered, Collection<String> handled) {
    List<String> missing = ordered.stream().filter(t -> !handled.contains(t)).sorted().toList();
    if (!missing.isEmpty()) {
      throw new ConfigException(
          SETTING,
          String.join(",", ordered.stream().sorted().toList()),
          "no handler here for "
              + String.join(", ", missing)
              + " (handled: "
              + String.join(", ", handled)
              + "); list only types this worker handles");
    }
  }
}
