package io.eventworker.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.eventworker.handler.Event;
import io.eventworker.queue.EventRepository.Failure;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A worker whose batch was rolled back takes its events again by id. In between, another worker
 * may have claimed one of them and put it back to wait out a retry's backoff: the re-claim must
 * leave it waiting, or the event runs again early and spends its attempts before their time.
 */
class ReclaimTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  private final EventRepository repository = new EventRepository();

  @Test
  void aReclaimByIdPassesOverAnEventWaitingOutItsBackoff() throws Exception {
    db.execute("INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key', 'k-' || g)"
        + " FROM generate_series(1, 3) g");
    // Another worker's attempt at event 2 failed; it is pending again, due in a minute.
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertEquals(3, claimIds(c, List.of(1L, 2L, 3L)).size());
      repository.complete(c, List.of(), List.of(), List.of(new Failure(2L, "handler error: boom", 60_000)));
      c.commit();
    }

    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertEquals(List.of(1L, 3L), claimIds(c, List.of(1L, 2L, 3L)).stream().map(Event::id).toList());
      c.rollback();
    }
    assertEquals(1, db.queryLong("SELECT attempts FROM events WHERE id = 2"));
  }

  @Test
  void holdingAnEventToFailItAlonePassesOverOneWaitingOutItsBackoff() throws Exception {
    db.execute("INSERT INTO events (event_type, data) VALUES ('data_entry', '{\"key\":\"due\"}'),"
        + " ('data_entry', '{\"key\":\"waiting\"}')");
    db.execute("UPDATE events SET run_at = now() + interval '1 minute', attempts = 1 WHERE id = 2");

    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      assertNotNull(repository.holdPending(c, 1));
      assertNull(repository.holdPending(c, 2));
      c.rollback();
    }
  }

  private List<Event> claimIds(Connection c, List<Long> ids) throws Exception {
    return repository.claimIds(c, ids, new PayloadBudget(1 << 20));
  }
}
