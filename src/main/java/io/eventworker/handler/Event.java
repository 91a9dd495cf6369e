package io.eventworker.handler;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;

/**
 * One claimed row of {@code events}, as its handler sees it: read-only, and only while {@link
 * EventHandler#handle} runs.
 */
public interface Event {

  /** The event's {@code id}. */
  long id();

  /** The event's {@code event_type}. */
  String type();

  /** The event's {@code user_id}, or null. */
  Integer userId();

  /** When the producer inserted it. */
  Instant createdAt();

  /** Attempts made before this one. */
  int attempts();

  /**
   * The payload as stored (JSONB rendered as text).
   *
   * @throws IllegalStateException once the handler has run: the payload is gone
   */
  String json();

  /**
   * The payload, parsed on first use; a payload beyond the parser's limits is invalid.
   *
   * @throws IllegalStateException once the handler has run: the payload is gone
   */
  JsonNode data() throws InvalidEventException;
}
