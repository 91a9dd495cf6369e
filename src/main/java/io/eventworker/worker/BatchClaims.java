package io.eventworker.worker;

import io.eventworker.queue.ClaimedEvent;
import io.eventworker.queue.EventRepository;
import io.eventworker.queue.EventRepository.Claimed;
import io.eventworker.queue.PayloadBudget;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * What a batch claims, shared by a worker's threads: up to its limit, type by type, starting with a
 * different type each time (every handled type gets its turn, however large another's backlog),
 * each type from its claim cursor (see {@link ClaimCursors}), or user by user for a type listed in
 * ORDERED_EVENT_TYPES (see {@link OrderedTypeClaims}); and, once the batch is done, whether it was
 * full or cut short and when the thread should look again.
 */
final class BatchClaims {

  // How long an event passed over by the claim cursor waits at most.
  private static final long MAX_RESCAN_NANOS = TimeUnit.SECONDS.toNanos(5);

  private final EventRepository repository;
  private final String[] types;
  // Aligned with types: whether each is claimed user by user.
  private final boolean[] ordered;
  private final OrderedTypeClaims orderedClaims = new OrderedTypeClaims();
  private final AtomicInteger nextType = new AtomicInteger();
  private final ClaimCursors cursors = new ClaimCursors(MAX_RESCAN_NANOS, System::nanoTime);

  BatchClaims(EventRepository repository, String[] types, Set<String> orderedTypes) {
    this.repository = repository;
    this.types = types.clone();
    this.ordered = new boolean[types.length];
    for (int i = 0; i < types.length; i++) {
      ordered[i] = orderedTypes.contains(types[i]);
    }
  }

  /** The claim of one batch of up to {@code limit} events. */
  Round round(int limit) {
    return new Round(limit);
  }

  /** One batch's claim, and what follows from how the batch ended. */
  final class Round {

    private final int limit;
    // Where this round's claim of each type started.
    private final Map<String, ClaimCursors.Start> starts = new HashMap<>();

    private Round(int limit) {
      this.limit = limit;
    }

    /** Claims up to the limit, as far as {@code budget} has room for their payloads. */
    List<ClaimedEvent> claim(Connection c, PayloadBudget budget) throws SQLException {
      int first = Math.floorMod(nextType.getAndIncrement(), types.length);
      List<ClaimedEvent> events = new ArrayList<>(limit);
      for (int i = 0; i < types.length && events.size() < limit && !budget.spent(); i++) {
        int t = (first + i) % types.length;
        String type = types[t];
        if (ordered[t]) {
          events.addAll(orderedClaims.claim(c, type, limit - events.size(), budget));
          continue;
        }
        ClaimCursors.Start start = cursors.start(type);
        starts.put(type, start);
        Claimed claimed =
            repository.claim(c, type, limit - events.size(), start.position(), budget);
        events.addAll(claimed.events());
        cursors.advance(type, start, claimed.last(), claimed.lockingNanos());
      }
      return events;
    }

    /**
     * Brings the events this round claimed back into view: its batch rolled back, or let some of
     * them go, and they are pending again behind the cursors.
     */
    void rewind() {
      starts.forEach(cursors::rewind);
    }

    /**
     * The batch committed, having done {@code done} events. A batch {@code cutShort} (by its
     * payloads, or by a write that left events pending) let go of events its claim passed: the
     * cursors go back for them, and more are due at once (see {@link ClaimLimit}).
     */
    BatchProcessor.Batch committed(int done, boolean cutShort) {
      if (cutShort) {
        rewind();
        return new BatchProcessor.Batch(done, true, true, 0);
      }
      return done >= limit
          ? new BatchProcessor.Batch(done, true, false, 0)
          : new BatchProcessor.Batch(done, false, false, cursors.untilRescan(starts));
    }
  }
}
