package io.eventworker.worker;

import io.eventworker.queue.EventRepository.Position;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Where the last claim of each event type ended, shared by a worker's threads. Claims start past
 * it, since the index entries of processed events linger until vacuum removes them (longer while an
 * old snapshot is held), and a claim from the start would walk them all again.
 *
 * <p>A rescan from the start finds what the cursor passed: events committed out of the order they
 * began in, and events whose batch rolled back. It is due once twenty times as long as the last one
 * took has passed, and every {@code maxRescanNanos} at the least. A batch cut short by its payloads
 * rewinds the cursor once it has committed.
 */
final class ClaimCursors {

  // Rescans take at most a twentieth of the claiming threads' time.
  private static final long RESCAN_COST_FACTOR = 20;
  // 0 says no rescan is awaited; one due now is reported as due in a millisecond.
  private static final long MIN_RECHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  // rescannedAt: when the last rescan began; rescanEvery: how long after it the next is due.
  // generation: how many times the cursor was rewound; a claim that started before a rewind does
  // not move the cursor past the events the rewind brought back into view.
  private record Cursor(Position position, long rescannedAt, long rescanEvery, long generation) {}

  /** Where a claim starts: past {@code position}, or from the beginning if it is null. */
  record Start(Position position, long generation) {}

  private final Map<String, Cursor> cursors = new ConcurrentHashMap<>();
  private final long maxRescanNanos;
  private final LongSupplier nanoTime;

  ClaimCursors(long maxRescanNanos, LongSupplier nanoTime) {
    this.maxRescanNanos = maxRescanNanos;
    this.nanoTime = nanoTime;
  }

  /** Where the next claim of {@code type} starts. */
  Start start(String type) {
    Cursor cursor = cursors.get(type);
    if (cursor == null) {
      return new Start(null, 0);
    }
    long now = nanoTime.getAsLong();
    if (cursor.position() != null && now - cursor.rescannedAt() >= cursor.rescanEvery()) {
      Cursor fromTheBeginning = new Cursor(null, now, cursor.rescanEvery(), cursor.generation());
      return cursors.replace(type, cursor, fromTheBeginning)
          ? new Start(null, cursor.generation())
          : start(type);
    }
    return new Start(cursor.position(), cursor.generation());
  }

  /**
   * A claim of {@code type} that began at {@code start} ended at {@code last} (null if it took
   * nothing); its locking query took {@code claimNanos} (reading large payloads apart, which costs
   * the same from anywhere). The cursor moves there if that is further, unless it was rewound since
   * the claim began; a claim from the beginning sets when the next one is due.
   */
  void advance(String type, Start start, Position last, long claimNanos) {
    long began = nanoTime.getAsLong() - claimNanos;
    boolean rescan = start.position() == null;
    long rescanEvery = Math.min(maxRescanNanos, RESCAN_COST_FACTOR * claimNanos);
    cursors.compute(
        type,
        (t, old) -> {
          if (old == null) {
            return last == null ? null : new Cursor(last, began, rescanEvery, start.generation());
          }
          Position position =
              old.generation() == start.generation() && isAfter(last, old.position())
                  ? last
                  : old.position();
          return rescan
              ? new Cursor(
                  position, Math.max(old.rescannedAt(), began), rescanEvery, old.generation())
              : new Cursor(position, old.rescannedAt(), old.rescanEvery(), old.generation());
        });
  }

  /**
   * Brings the events of {@code type} from {@code start} on back into view: a batch that locked
   * them and let them go (cut short by its payloads) has committed, and other threads' claims
   * passed over them meanwhile.
   */
  void rewind(String type, Start start) {
    cursors.computeIfPresent(
        type,
        (t, old) ->
            new Cursor(
                isAfter(old.position(), start.position()) ? start.position() : old.position(),
                old.rescannedAt(),
                old.rescanEvery(),
                old.generation() + 1));
  }

  /**
   * After a batch that came back short: nanoseconds until the soonest rescan of the types it
   * claimed from their cursor ({@code starts}, by type), at least a millisecond; 0 if it claimed
   * every type from the beginning. An event committed just after such a claim passed its place has
   * no other claim coming for it before the poll.
   */
  long untilRescan(Map<String, Start> starts) {
    long soonest = 0;
    for (Map.Entry<String, Start> claim : starts.entrySet()) {
      if (claim.getValue().position() != null) {
        long due = Math.max(MIN_RECHECK_NANOS, untilRescan(claim.getKey()));
        soonest = soonest == 0 ? due : Math.min(soonest, due);
      }
    }
    return soonest;
  }

  /** Nanoseconds until a rescan of {@code type} is due; 0 if it is. */
  long untilRescan(String type) {
    Cursor cursor = cursors.get(type);
    if (cursor == null || cursor.position() == null) {
      return 0;
    }
    return Math.max(0, cursor.rescanEvery() - (nanoTime.getAsLong() - cursor.rescannedAt()));
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
