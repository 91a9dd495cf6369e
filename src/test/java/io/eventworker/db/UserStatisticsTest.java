package io.eventworker.db;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.testing.RunningWorker;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The original description's get_user_statistics, on data_entries the worker wrote from events. */
@Tag("database")
class UserStatisticsTest {

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  @Test
  void countsEachUsersEntriesAndEvents() throws Exception {
    db.execute(
        "INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com'), ('Grace',"
            + " 'grace@example.com'), ('Idle', 'idle@example.com')",
        "INSERT INTO events (event_type, user_id, data) VALUES ('data_entry', 1,"
            + " '{\"key\":\"a\"}'), ('data_entry', 1, '{\"key\":\"b\"}'), ('data_entry', 1,"
            + " '{\"key\":\"c\"}'), ('metric', 1, '{\"name\":\"m\",\"value\":1}'), ('metric', 1,"
            + " '{\"name\":\"m\",\"value\":2}'), ('data_entry', 2, '{\"key\":\"d\"}')");
    try (RunningWorker worker = RunningWorker.start(db.config())) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> db.queryLong("SELECT count(*) FROM events WHERE status = 'processed'") == 6);
    }
    try (Connection c = db.connect();
        Statement s = c.createStatement()) {
      try (ResultSet rs =
          s.executeQuery(
              "SELECT st.*, (SELECT max(updated_at) FROM data_entries WHERE user_id = 1) AS"
                  + " newest_entry FROM get_user_statistics(1) st")) {
        assertTrue(rs.next());
        assertEquals(3, rs.getLong("total_entries"));
        assertEquals(5, rs.getLong("total_events"));
        Timestamp last = rs.getTimestamp("last_activity");
        // The worker wrote the entries after the events were created: they are the last activity.
        assertEquals(rs.getTimestamp("newest_entry"), last);
        assertFalse(rs.next());
      }
      try (ResultSet rs = s.executeQuery("SELECT * FROM get_user_statistics(2)")) {
        assertTrue(rs.next());
        assertEquals(1, rs.getLong("total_entries"));
        assertEquals(1, rs.getLong("total_events"));
      }
      try (ResultSet rs = s.executeQuery("SELECT * FROM get_user_statistics(3)")) {
        assertTrue(rs.next());
        assertEquals(0, rs.getLong("total_entries"));
        assertEquals(0, rs.getLong("total_events"));
        assertNull(rs.getTimestamp("last_activity"));
      }
    }
  }
}
