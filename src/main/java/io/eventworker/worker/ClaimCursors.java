package io.eventworker.worker;

import io.eventworker.queue.EventRepository.Position;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Where the last claim of each event type ended, shared by the threads of a worker. Claims start
 * past it: the index entries of events already processed linger until vacuum removes them, and
 * while another session holds an old snapshot vacuum cannot, so a claim from the start would walk
 * all of them again. Every {@code rescanNanos} a claim starts from the beginning anyway, to find
 * what the cursor has passed: events whose batch another worker rolled back, and events committed
 * late by a long producer transaction (their run_at is when that transaction began). They wait at
 * most that long; new events, and retries falling due, are always past the cursor. A batch cut short
 * by its payloads rewinds the cursor once it has committed: the events it locked but did not take
 * are due at once, not after {@code rescanNanos}.
 */
final class ClaimCursors {

  // generation: how many times the cursor was rewound; a claim that started before a rewind does
  // not move the cursor past the events the rewind brought back into view.
  private record Cursor(Position position, long since, long generation) {}

  /** Where a claim starts: past {@code position}, or from the beginning if it is null. */
  record Start(Position position, long generation) {}

  private final Map<String, Cursor> cursors = new ConcurrentHashMap<>();
  private final long rescanNanos;
  private final LongSupplier nanoTime;

  ClaimCursors(long rescanNanos, LongSupplier nanoTime) {
    this.rescanNanos = rescanNanos;
    this.nanoTime = nanoTime;
  }

  /** Where the next claim of {@code type} starts. */
  Start start(String type) {
    Cursor cursor = cursors.get(type);
    if (cursor == null) {
      return new Start(null, 0);
    }
    if (cursor.position() != null && nanoTime.getAsLong() - cursor.since() > rescanNanos) {
      Cursor fromTheBeginning = new Cursor(null, nanoTime.getAsLong(), cursor.generation());
      return cursors.replace(type, cursor, fromTheBeginning) ? new Start(null, cursor.generation()) : start(type);
    }
    return new Start(cursor.position(), cursor.generation());
  }

  /**
   * A claim of {@code type} that began at {@code start} ended at {@code last}; the cursor moves
   * there if that is further, unless it was rewound since the claim began.
   */
  void advance(String type, Start start, Position last) {
    if (last == null) {
      return;
    }
    cursors.merge(type, new Cursor(last, nanoTime.getAsLong(), start.generation()), (old, fresh) ->
        old.generation() == start.generation() && isAfter(last, old.position())
            ? new Cursor(last, old.since(), old.generation())
            : old);
  }

  /**
   * Brings the events of {@code type} from {@code start} on back into view: a batch that locked
   * them and let them go (cut short by its payloads) has committed, and other threads' claims
   * passed over them meanwhile.
   */
  void rewind(String type, Start start) {
    cursors.computeIfPresent(type, (t, old) -> new Cursor(
        isAfter(old.position(), start.position()) ? start.position() : old.position(), old.since(),
        old.generation() + 1));
  }

  /** Whether {@code a} comes after {@code b} in claim order; null is the beginning. */
  private static boolean isAfter(Position a, Position b) {
    if (a == null || b == null) {
      return a != null;
    }
    int byTime = a.runAt().compareTo(b.runAt());
    return byTime != 0 ? byTime > 0 : a.id() > b.id();
  }
}
