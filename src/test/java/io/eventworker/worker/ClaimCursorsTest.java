package io.eventworker.worker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.eventworker.queue.EventRepository.Position;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** When claims start from the cursor, when from the beginning, and what rewinds and advances do. */
@Tag("unit")
class ClaimCursorsTest {

  private static final long MS = TimeUnit.MILLISECONDS.toNanos(1);
  private static final OffsetDateTime T =
      OffsetDateTime.of(2026, 11, 24, 12, 0, 0, 0, ZoneOffset.UTC);

  private final AtomicLong now = new AtomicLong(1_000 * MS);
  private final ClaimCursors cursors = new ClaimCursors(5_000 * MS, now::get);

  @Test
  void aRescanIsDueTwentyTimesItsOwnDurationLater() {
    ClaimCursors.Start first = cursors.start("t");
    assertNull(first.position());
    cursors.advance("t", first, at(10), 2 * MS);

    // Due 40 ms after that claim began, 2 ms ago.
    now.addAndGet(37 * MS);
    assertEquals(at(10), cursors.start("t").position());
    assertEquals(1 * MS, cursors.untilRescan("t"));
    now.addAndGet(1 * MS);
    assertEquals(0, cursors.untilRescan("t"));
    assertNull(cursors.start("t").position());
  }

  @Test
  void anExpensiveRescanIsRepeatedNoMoreOftenThanTheMaximumInterval() {
    ClaimCursors.Start first = cursors.start("t");
    cursors.advance("t", first, at(10), 900 * MS);

    now.addAndGet(4_099 * MS);
    assertEquals(at(10), cursors.start("t").position());
    now.addAndGet(1 * MS);
    ClaimCursors.Start rescan = cursors.start("t");
    assertNull(rescan.position());
    // A cheap rescan brings the next one close again.
    cursors.advance("t", rescan, at(20), 1 * MS);
    assertEquals(at(20), cursors.start("t").position());
    now.addAndGet(20 * MS);
    assertNull(cursors.start("t").position());
  }

  @Test
  void claimsFromTheCursorMoveItForwardOnlyAndDoNotChangeWhenTheRescanIsDue() {
    cursors.advance("t", cursors.start("t"), at(10), 1 * MS);
    ClaimCursors.Start fromCursor = cursors.start("t");
    cursors.advance("t", fromCursor, at(30), 500 * MS);
    cursors.advance("t", fromCursor, at(20), 1 * MS);
    assertEquals(at(30), cursors.start("t").position());
    now.addAndGet(20 * MS);
    assertNull(cursors.start("t").position());
  }

  @Test
  void aRewindBringsTheCursorBackAndAClaimBegunBeforeItCannotMoveItPast() {
    cursors.advance("t", cursors.start("t"), at(10), 1 * MS);
    ClaimCursors.Start cutShort = cursors.start("t");
    ClaimCursors.Start other = cursors.start("t");
    cursors.rewind("t", cutShort);
    cursors.advance("t", other, at(50), 1 * MS);
    assertEquals(at(10), cursors.start("t").position());

    ClaimCursors.Start afterRewind = cursors.start("t");
    cursors.advance("t", afterRewind, at(50), 1 * MS);
    assertEquals(at(50), cursors.start("t").position());
  }

  @Test
  void typesHaveCursorsOfTheirOwn() {
    cursors.advance("a", cursors.start("a"), at(10), 1 * MS);
    assertNull(cursors.start("b").position());
    assertEquals(0, cursors.untilRescan("b"));
    assertEquals(at(10), cursors.start("a").position());
  }

  private static Position at(long id) {
    return new Position(T, id);
  }
}
