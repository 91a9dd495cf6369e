package io.eventworker.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.queue.EventRepository.Failure;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A worker whose batch was rolled back takes its events again by id. In between, another worker may
 * have claimed one of them and put it back to wait out a retry's backoff: the re-claim must leave
 * it waiting, or the event runs again early and spends its attempts before their time. For the same
 * reason a backoff counts from when it is recorded, however long its transaction ran.
 */
@Tag("database")
class ReclaimTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  private final EventRepository repository = new EventRepository();

  @Test
  void aReclaimByIdPassesOverAnEventWaitingOutItsBackoff() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key', 'k-'"
            + " || g) FROM generate_series(1, 3) g");
    // Another worker's attempt at event 2 failed; it is pending again, due in a minute.
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertEquals(3, claimIds(c, List.of(1L, 2L, 3L)).size());
      repository.complete(
          c, List.of(), List.of(), List.of(new Failure(2L, "handler error: boom", 60_000)));
      c.commit();
    }

    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertEquals(
          List.of(1L, 3L),
          claimIds(c, List.of(1L, 2L, 3L)).stream().map(ClaimedEvent::id).toList());
      c.rollback();
    }
    assertEquals(1, db.queryLong("SELECT attempts FROM events WHERE id = 2"));
  }

  @Test
  void holdingAnEventToFailItAlonePassesOverOneWaitingOutItsBackoff() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('data_entry', '{\"key\":\"due\"}'),"
            + " ('data_entry', '{\"key\":\"waiting\"}')");
    db.execute("UPDATE events SET run_at = now() + interval '1 minute', attempts = 1 WHERE id = 2");

    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertNotNull(repository.holdPending(c, 1));
      assertNull(repository.holdPending(c, 2));
      c.rollback();
    }
  }

  @Test
  void aBackoffRecordedLateInALongTransactionCountsFromThen() throws Exception {
    // As a batch written one event at a time after a timeout records its failures: a second and
    // a half into its transaction, a retry in one second.
    db.execute("INSERT INTO events (event_type, data) VALUES ('data_entry', '{\"key\":\"slow\"}')");
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertEquals(1, claimIds(c, List.of(1L)).size());
      try (var s = c.createStatement()) {
        s.execute("SELECT pg_sleep(1.5)");
      }
      repository.complete(
          c,
          List.of(),
          List.of(),
          List.of(new Failure(1L, "its rows could not be written", 1_000)));
      c.commit();
    }
    double dueIn =
        db.queryLong(
                "SELECT (extract(epoch FROM run_at - now()) * 1000)::int8 FROM events WHERE id = 1")
            / 1000.0;
    assertTrue(
        dueIn > 0.5 && dueIn <= 1.0,
        "due in " + dueIn + " s after the commit, not a second after it");
  }

  private List<ClaimedEvent> claimIds(Connection c, List<Long> ids) throws Exception {
    return repository.claimIds(c, ids, new PayloadBudget(1 << 20));
  }
}
