package io.eventworker.worker;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Events scheduled by their producer (run_at) are handled at that time, not before, and within one
 * POLL_INTERVAL after it: the notification of their insert finds nothing due, so the poll is what
 * brings them in.
 */
@Tag("database")
class ScheduledEventsTest {

  private static final Duration POLL = Duration.ofMillis(500);
  private static final int EVENTS = 40;
  // Scheduled 100 ms apart, starting 1.5 s after the insert: spread over several polls.
  private static final String INSERT =
      "INSERT INTO events (event_type, data, run_at) SELECT 'metric', json_build_object('name',"
          + " 'm', 'value', g)::jsonb, statement_timestamp() + interval '1500 milliseconds' + g *"
          + " interval '100 milliseconds' FROM generate_series(1, "
          + EVENTS
          + ") g";
  // processed_at is the start of the transaction that claimed the event (in DB_TIMEZONE, UTC).
  private static final String LATENESS =
      "SELECT extract(epoch FROM (processed_at AT TIME ZONE 'UTC') - run_at) * 1000 FROM events"
          + " WHERE status = 'processed'";

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void aScheduledEventIsProcessedWithinOnePollIntervalAfterItsTime() throws Exception {
    try (RunningWorker worker =
        RunningWorker.start(
            db.config("POLL_INTERVAL", POLL.toMillis() + "ms", "WORKER_THREADS", "2"))) {
      db.execute(INSERT);
      // Nothing is due yet: the insert's notification wakes the workers, which find nothing.
      assertEquals(
          0, db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'"), "too early");
      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'") == 0);
    }
    List<Double> lateness = new ArrayList<>();
    try (Connection c = db.connect();
        Statement s = c.createStatement();
        ResultSet rs = s.executeQuery(LATENESS)) {
      while (rs.next()) {
        lateness.add(rs.getDouble(1));
      }
    }
    assertEquals(EVENTS, lateness.size());
    Collections.sort(lateness);
    double median = lateness.get(EVENTS / 2);
    double max = lateness.get(EVENTS - 1);
    System.out.printf(
        "[scheduled] %d events, POLL_INTERVAL %d ms: lateness min %.0f ms, median %.0f ms, max %.0f"
            + " ms%n",
        EVENTS, POLL.toMillis(), lateness.get(0), median, max);
    assertTrue(lateness.get(0) >= 0, "processed before its run_at: " + lateness);
    assertTrue(max <= POLL.toMillis(), "later than one POLL_INTERVAL: " + lateness);
  }
}
