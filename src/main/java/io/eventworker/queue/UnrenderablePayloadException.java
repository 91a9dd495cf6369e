package io.eventworker.queue;

import java.sql.SQLException;
import java.util.List;
import java.util.Set;

/**
 * PostgreSQL could not render one of a batch's large payloads as JSON text: its text would pass the
 * server's 1 GB limit (a few kilobytes stored can be that: {@code 1e131071} is written out as
 * 131,072 digits), or rendering it ran out of memory or time. The transaction is aborted; which
 * payload it was is found by reading them one at a time.
 */
public final class UnrenderablePayloadException extends SQLException {

  private static final long serialVersionUID = 1L;

  // program_limit_exceeded: what the server reports when a string would pass 1 GB; then
  // out_of_memory and query_canceled (the statement timeout), which rendering one can also cause.
  private static final String TOO_LARGE = "54000";
  private static final Set<String> STATES = Set.of(TOO_LARGE, "53200", "57014");

  private final List<Long> eventIds;

  UnrenderablePayloadException(List<Long> eventIds, SQLException cause) {
    super(
        "could not render the payloads of events " + eventIds + ": " + cause.getMessage(),
        cause.getSQLState(),
        cause);
    this.eventIds = List.copyOf(eventIds);
  }

  /** True if {@code e}, raised while payloads were read, may be due to one of them. */
  static boolean mayBeDueToPayload(SQLException e) {
    return STATES.contains(e.getSQLState());
  }

  /** True if the text would pass the 1 GB limit: the payload itself is at fault. */
  public boolean tooLarge() {
    return TOO_LARGE.equals(getSQLState());
  }

  /** The events whose payloads were being read, in claim order. */
  public List<Long> eventIds() {
    return eventIds;
  }
}
