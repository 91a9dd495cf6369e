package io.eventworker.queue;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.handler.Event;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.json.Json;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * One claimed row of {@code events}: the {@link Event} its handler sees, and what the worker does
 * with it.
 */
public final class ClaimedEvent implements Event {

  private final long id;
  private final String type;
  private final Integer userId;
  // UTF-8, as the driver received it: parsing bytes is about twice as fast as parsing a String
  // decoded from them, which counts for payloads of a megabyte.
  private byte[] json;
  private final Instant createdAt;
  private final int attempts;
  // Why the payload was not read (too large to hold), or null.
  private final String unreadable;
  private JsonNode data;

  /** {@code json}: the payload's JSON text in UTF-8. */
  public ClaimedEvent(
      long id, String type, Integer userId, byte[] json, Instant createdAt, int attempts) {
    this(id, type, userId, json, createdAt, attempts, null);
  }

  private ClaimedEvent(
      long id,
      String type,
      Integer userId,
      byte[] json,
      Instant createdAt,
      int attempts,
      String unreadable) {
    this.id = id;
    this.type = type;
    this.userId = userId;
    this.json = json;
    this.createdAt = createdAt;
    this.attempts = attempts;
    this.unreadable = unreadable;
  }

  /**
   * An event whose payload was not read, for {@code reason}: its handler fails it with that reason.
   */
  static ClaimedEvent unreadable(
      long id, String type, Integer userId, Instant createdAt, int attempts, String reason) {
    return new ClaimedEvent(id, type, userId, new byte[0], createdAt, attempts, reason);
  }

  @Override
  public long id() {
    return id;
  }

  @Override
  public String type() {
    return type;
  }

  @Override
  public Integer userId() {
    return userId;
  }

  @Override
  public Instant createdAt() {
    return createdAt;
  }

  @Override
  public int attempts() {
    return attempts;
  }

  @Override
  public String json() {
    return new String(payload(), StandardCharsets.UTF_8);
  }

  @Override
  public JsonNode data() throws InvalidEventException {
    if (unreadable != null) {
      throw new InvalidEventException(unreadable);
    }
    if (data == null) {
      try {
        data = Json.MAPPER.readTree(payload());
      } catch (JacksonException e) {
        throw new InvalidEventException("payload cannot be read: " + e.getOriginalMessage());
      } catch (IOException e) {
        // Reading from memory does no I/O: only a parse error, above, can happen.
        throw new UncheckedIOException(e);
      }
    }
    return data;
  }

  private byte[] payload() {
    byte[] bytes = json;
    if (bytes == null) {
      throw new IllegalStateException(this + " was handled already: its payload is gone");
    }
    return bytes;
  }

  /**
   * Lets go of the payload, its bytes and its parsed tree; called by the worker once the handler
   * has run. A batch keeps its events until it commits, and the collector copied their parsed
   * payloads from one young collection to the next: documents nested 200 deep cost three times the
   * CPU per event that way.
   */
  public void dropPayload() {
    json = null;
    data = null;
  }

  @Override
  public String toString() {
    return "event " + id + " (" + type + ")";
  }
}
