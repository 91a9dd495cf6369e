package io.eventworker.queue;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.handler.Json;
import java.util.Iterator;
import java.util.Set;

/** An event a producer command is about to insert, checked against what {@code events} accepts. */
public record NewEvent(String eventType, Integer userId, String data) {

  private static final int MAX_TYPE_LENGTH = 100;
  private static final Set<String> FIELDS = Set.of("event_type", "user_id", "data");

  /** From the command line's {@code --type}, {@code --user} and {@code --data}. */
  public static NewEvent of(String eventType, Integer userId, String dataJson) throws InvalidInputException {
    JsonNode data;
    try {
      data = Json.MAPPER.readTree(dataJson);
    } catch (JacksonException e) {
      throw new InvalidInputException("--data is not valid JSON: " + e.getOriginalMessage());
    }
    return validated(eventType, userId, data);
  }

  /** From one NDJSON line {@code {"event_type": ..., "user_id": ..., "data": {...}}}. */
  public static NewEvent fromJson(JsonNode line) throws InvalidInputException {
    if (line == null || !line.isObject()) {
      throw new InvalidInputException("expected a JSON object");
    }
    for (Iterator<String> names = line.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw new InvalidInputException("unknown field '" + name + "' (expected event_type, user_id, data)");
      }
    }
    JsonNode type = line.get("event_type");
    if (type == null || !type.isTextual()) {
      throw new InvalidInputException("'event_type' must be a non-empty string");
    }
    JsonNode user = line.get("user_id");
    Integer userId = null;
    if (user != null && !user.isNull()) {
      if (!user.isIntegralNumber() || !user.canConvertToInt()) {
        throw new InvalidInputException("'user_id' must be an integer or null");
      }
      userId = user.intValue();
    }
    return validated(type.textValue(), userId, line.get("data"));
  }

  private static NewEvent validated(String eventType, Integer userId, JsonNode data)
      throws InvalidInputException {
    if (eventType == null || eventType.isBlank()) {
      throw new InvalidInputException("'event_type' must be a non-empty string");
    }
    if (eventType.codePointCount(0, eventType.length()) > MAX_TYPE_LENGTH) {
      throw new InvalidInputException("'event_type' is longer than " + MAX_TYPE_LENGTH + " characters");
    }
    if (data == null || !data.isObject()) {
      throw new InvalidInputException("'data' must be a JSON object");
    }
    String json = data.toString();
    String problem = unstorable(json, true);
    if (problem != null) {
      throw new InvalidInputException("'data' contains " + problem + ", which PostgreSQL cannot store");
    }
    problem = unstorable(eventType, false);
    if (problem != null) {
      throw new InvalidInputException("'event_type' contains " + problem + ", which PostgreSQL cannot store");
    }
    return new NewEvent(eventType, userId, json);
  }

  /**
   * What in {@code text} PostgreSQL would refuse or silently alter: a NUL character (raw, or as a
   * JSON escape when {@code jsonText}) or a lone UTF-16 surrogate, which has no UTF-8 form. Null if
   * none.
   */
  static String unstorable(String text, boolean jsonText) {
    for (int i = 0; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch == 0) {
        return "a NUL character";
      }
      if (jsonText && ch == '\\') {
        if (text.startsWith("u0000", i + 1)) {
          return "a \\u0000 escape";
        }
        i++; // the escaped character: an escaped backslash followed by "u0000" is plain text
      } else if (Character.isHighSurrogate(ch) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(ch)) {
        return "an unpaired UTF-16 surrogate";
      }
    }
    return null;
  }
}
