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
 * full or cut short and when the thread should look again: when a cursor needs a rescan, or when
 * the first scheduled event falls due, whichever comes first (the poll interval at the latest).
 */
final class BatchClaims {

  // How long an event passed over by the claim cursor waits at most.
  private static final long MAX_RESCAN_NANOS = TimeUnit.SECONDS.toNanos(5);
  private static final long MIN_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

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
    // When the first scheduled event of a type whose claim came back short falls due (nanoTime),
    // or Long.MAX_VALUE: an idle thread looks again then rather than at its next poll.
    private long nextDue = Long.MAX_VALUE;

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
        int wanted = limit - events.size();
        Claimed claimed = repository.claim(c, type, wanted, start.position(), budget);
        events.addAll(claimed.events());
        cursors.advance(type, start, claimed.last(), claimed.lockingNanos());
        if (claimed.events().size() < wanted && !budget.spent()) {
          long in = repository.nanosUntilNextDue(c, type);
          if (in >= 0) {
            nextDue = Math.min(nextDue, System.nanoTime() + in);
          }
        }
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
      if (done >= limit) {
        return new BatchProcessor.Batch(done, true, false, 0);
      }
      long recheck = cursors.untilRescan(starts);
      if (nextDue != Long.MAX_VALUE) {
        // At least a millisecond: an event due now is claimed by the next pass.
        long untilDue = Math.max(MIN_WAIT_NANOS, nextDue - System.nanoTime());
        recheck = recheck == 0 ? untilDue : Math.min(recheck, untilDue);
      }
      return new BatchProcessor.Batch(done, false, false, recheck);
    }
  }
}
