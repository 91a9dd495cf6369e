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
 * most that long; new events, and retries falling due, are always past the cursor.
 */
final class ClaimCursors {

  private record Cursor(Position position, long since) {}

  private final Map<String, Cursor> cursors = new ConcurrentHashMap<>();
  private final long rescanNanos;
  private final LongSupplier nanoTime;

  ClaimCursors(long rescanNanos, LongSupplier nanoTime) {
    this.rescanNanos = rescanNanos;
    this.nanoTime = nanoTime;
  }

  /** Where the next claim of {@code type} starts: a position, or null for the beginning. */
  Position start(String type) {
    Cursor cursor = cursors.get(type);
    if (cursor == null || cursor.position() == null) {
      return null;
    }
    if (nanoTime.getAsLong() - cursor.since() > rescanNanos) {
      cursors.remove(type, cursor);
      return null;
    }
    return cursor.position();
  }

  /** A claim of {@code type} ended at {@code last}; the cursor moves there if that is further. */
  void advance(String type, Position last) {
    if (last == null) {
      return;
    }
    long now = nanoTime.getAsLong();
    cursors.merge(type, new Cursor(last, now), (old, fresh) ->
        compare(fresh.position(), old.position()) > 0 ? new Cursor(fresh.position(), old.since()) : old);
  }

  private static int compare(Position a, Position b) {
    int byTime = a.runAt().compareTo(b.runAt());
    return byTime != 0 ? byTime : Long.compare(a.id(), b.id());
  }
}
