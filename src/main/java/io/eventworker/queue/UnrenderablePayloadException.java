package io.eventworker.queue;

import java.sql.SQLException;
import java.util.List;

/**
 * PostgreSQL could not render one of a batch's large payloads as JSON text: its text would pass
 * the server's 1 GB limit (a few kilobytes stored can be that: {@code 1e131071} is written out
 * as 131,072 digits). The transaction is aborted; which payload it was is found by reading them
 * one at a time.
 */
public final class UnrenderablePayloadException extends SQLException {

  private static final long serialVersionUID = 1L;

  // program_limit_exceeded: what the server reports when a string would pass 1 GB.
  static final String SQLSTATE = "54000";

  private final List<Long> eventIds;

  UnrenderablePayloadException(List<Long> eventIds, SQLException cause) {
    super("could not render the payloads of events " + eventIds + ": " + cause.getMessage(), SQLSTATE, cause);
    this.eventIds = List.copyOf(eventIds);
  }

  /** The events whose payloads were being read, in claim order. */
  public List<Long> eventIds() {
    return eventIds;
  }
}
