package io.eventworker.handler;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/** One claimed row of {@code events}, as a handler sees it. */
public final class Event {

  private final long id;
  private final String type;
  private final Integer userId;
  private final String json;
  private final Instant createdAt;
  private final int attempts;
  private JsonNode data;

  public Event(long id, String type, Integer userId, String json, Instant createdAt, int attempts) {
    this.id = id;
    this.type = type;
    this.userId = userId;
    this.json = json;
    this.createdAt = createdAt;
    this.attempts = attempts;
  }

  public long id() {
    return id;
  }

  public String type() {
    return type;
  }

  /** The event's {@code user_id}, or null. */
  public Integer userId() {
    return userId;
  }

  /** When the producer inserted it. */
  public Instant createdAt() {
    return createdAt;
  }

  /** Attempts made before this one. */
  public int attempts() {
    return attempts;
  }

  /** The payload as stored (JSONB rendered as text). */
  public String json() {
    return json;
  }

  /** The payload, parsed on first use; a payload beyond the parser's limits is invalid. */
  public JsonNode data() throws InvalidEventException {
    if (data == null) {
      try {
        data = Json.MAPPER.readTree(json);
      } catch (JacksonException e) {
        throw new InvalidEventException("payload cannot be read: " + e.getOriginalMessage());
      }
    }
    return data;
  }

  @Override
  public String toString() {
    return "event " + id + " (" + type + ")";
  }
}
