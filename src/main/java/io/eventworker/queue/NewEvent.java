package io.eventworker.queue;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.eventworker.json.Json;
import java.io.IOException;

/**
 * An event a producer command is about to insert, checked against what {@code events} accepts. The
 * payload is kept as the producer wrote it: PostgreSQL parses it into jsonb. {@code runAt} (when it
 * falls due, as text PostgreSQL reads as a timestamptz; null: at once) and {@code idempotencyKey}
 * (null: none) are optional.
 */
public record NewEvent(
    String eventType, Integer userId, String data, String runAt, String idempotencyKey) {

  private static final int MAX_TYPE_LENGTH = 100;

  /** The longest idempotency key accepted, in characters: far below a btree entry's limit. */
  public static final int MAX_KEY_LENGTH = 255;

  /** From the command line's {@code --type}, {@code --user} and {@code --data}. */
  public static NewEvent of(String eventType, Integer userId, String dataJson)
      throws InvalidInputException {
    try (JsonParser p = Json.MAPPER.getFactory().createParser(dataJson)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidInputException("'data' must be a JSON object");
      }
      p.skipChildren();
      if (p.nextToken() != null) {
        throw new InvalidInputException("--data must be one JSON object");
      }
    } catch (JacksonException e) {
      throw new InvalidInputException("--data is not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidInputException("--data cannot be read: " + e.getMessage());
    }
    return validated(eventType, userId, dataJson.strip());
  }

  /** This event due at {@code when} ({@link PointInTime#FORMS}), named {@code what} in errors. */
  public NewEvent withRunAt(String when, String what) throws InvalidInputException {
    String runAt = PointInTime.parseTimestamptz(when);
    if (runAt == null) {
      throw new InvalidInputException(what + " " + when + ": expected " + PointInTime.FORMS);
    }
    return new NewEvent(eventType, userId, data, runAt, idempotencyKey);
  }

  /** This event with an idempotency key, named {@code what} in errors. */
  public NewEvent withIdempotencyKey(String key, String what) throws InvalidInputException {
    if (key.isEmpty()) {
      throw new InvalidInputException(what + " must be a non-empty string");
    }
    if (key.codePointCount(0, key.length()) > MAX_KEY_LENGTH) {
      throw new InvalidInputException(what + " is longer than " + MAX_KEY_LENGTH + " characters");
    }
    String problem = unstorable(key, false);
    if (problem != null) {
      throw new InvalidInputException(
          what + " contains " + problem + ", which PostgreSQL cannot store");
    }
    return new NewEvent(eventType, userId, data, runAt, key);
  }

  /**
   * From one NDJSON line {@code {"event_type": ..., "user_id": ..., "data": {...}}}, with optional
   * {@code "run_at"} and {@code "idempotency_key"} strings, read as a stream: the payload's text is
   * cut from the line as it stands, never parsed into a tree and written out again.
   */
  public static NewEvent parseLine(String line) throws InvalidInputException {
    LineFields f = new LineFields();
    try (JsonParser p = Json.MAPPER.getFactory().createParser(line)) {
      if (p.nextToken() != JsonToken.START_OBJECT) {
        throw new InvalidInputException("expected a JSON object");
      }
      while (p.nextToken() == JsonToken.FIELD_NAME) {
        String field = p.currentName();
        f.read(field, p.nextToken(), p, line);
      }
      if (p.nextToken() != null) {
        throw new InvalidInputException(
            "expected one JSON object on the line, found more after it");
      }
    } catch (JacksonException e) {
      throw new InvalidInputException("not valid JSON: " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new InvalidInputException("cannot be read: " + e.getMessage());
    }
    if (f.type == null) {
      throw new InvalidInputException("'event_type' must be a non-empty string");
    }
    if (f.data == null) {
      throw new InvalidInputException("'data' must be a JSON object");
    }
    NewEvent event = validated(f.type, f.userId, f.data);
    if (f.runAt != null) {
      event = event.withRunAt(f.runAt, "'run_at'");
    }
    return f.key == null ? event : event.withIdempotencyKey(f.key, "'idempotency_key'");
  }

  /** The fields of one line as they are read. */
  private static final class LineFields {
    String type;
    Integer userId;
    String data;
    String runAt;
    String key;

    void read(String field, JsonToken value, JsonParser p, String line)
        throws IOException, InvalidInputException {
      switch (field) {
        case "event_type" -> type = value == JsonToken.VALUE_STRING ? p.getText() : null;
        case "user_id" -> {
          if (value == JsonToken.VALUE_NUMBER_INT
              && p.getNumberType() == JsonParser.NumberType.INT) {
            userId = p.getIntValue();
          } else if (value != JsonToken.VALUE_NULL) {
            throw new InvalidInputException("'user_id' must be an integer or null");
          }
        }
        case "data" -> {
          if (value != JsonToken.START_OBJECT) {
            throw new InvalidInputException("'data' must be a JSON object");
          }
          int start = (int) p.currentTokenLocation().getCharOffset();
          p.skipChildren();
          data = line.substring(start, (int) p.currentLocation().getCharOffset());
        }
        case "run_at" -> runAt = optionalString(value, p, "'run_at' must be a string or null");
        case "idempotency_key" ->
            key = optionalString(value, p, "'idempotency_key' must be a string or null");
        default ->
            throw new InvalidInputException(
                "unknown field '"
                    + field
                    + "' (expected event_type, user_id, data, run_at, idempotency_key)");
      }
    }

    private static String optionalString(JsonToken value, JsonParser p, String error)
        throws IOException, InvalidInputException {
      if (value == JsonToken.VALUE_NULL) {
        return null;
      }
      if (value != JsonToken.VALUE_STRING) {
        throw new InvalidInputException(error);
      }
      return p.getText();
    }
  }

  private static NewEvent validated(String eventType, Integer userId, String json)
      throws InvalidInputException {
    if (eventType == null || eventType.isBlank()) {
      throw new InvalidInputException("'event_type' must be a non-empty string");
    }
    if (eventType.codePointCount(0, eventType.length()) > MAX_TYPE_LENGTH) {
      throw new InvalidInputException(
          "'event_type' is longer than " + MAX_TYPE_LENGTH + " characters");
    }
    String problem = unstorable(json, true);
    if (problem != null) {
      throw new InvalidInputException(
          "'data' contains " + problem + ", which PostgreSQL cannot store");
    }
    problem = unstorable(eventType, false);
    if (problem != null) {
      throw new InvalidInputException(
          "'event_type' contains " + problem + ", which PostgreSQL cannot store");
    }
    return new NewEvent(eventType, userId, json, null, null);
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
      } else if (Character.isHighSurrogate(ch)
          && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(ch)) {
        return "an unpaired UTF-16 surrogate";
      }
    }
    return null;
  }
}
