package io.eventworker.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.testing.TestDatabase;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A burst of large payloads is claimed only as far as the batch's budget has room, the rest staying
 * pending for later batches, and a payload larger than a whole budget fails with the reason: a
 * batch of megabyte documents cannot fill the worker's heap.
 */
@Tag("database")
class LargePayloadTest {

  private static final int KB = 1024;
  private static final int MB = 1024 * KB;

  @RegisterExtension final TestDatabase db = TestDatabase.migrated();

  private final EventRepository repository = new EventRepository();

  @Test
  void aBatchStopsBeforeTheLargePayloadItsBudgetHasNoRoomFor() throws Exception {
    // Event 1 small, 2 to 6 of 300 kB each (stored compressed, so the claim leaves them out), 7
    // small.
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('data_entry', '{\"key\":\"small-1\"}')");
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'large-' || g, 'value', repeat('x', "
            + 300 * KB
            + ")) FROM generate_series(2, 6) g");
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('data_entry', '{\"key\":\"small-7\"}')");
    List<ClaimedEvent> first;
    PayloadBudget budget = new PayloadBudget(1000 * KB);
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      first = repository.claim(c, "data_entry", 500, null, budget).events();
      assertTrue(budget.spent());
      repository.complete(c, first.stream().map(ClaimedEvent::id).toList(), List.of(), List.of());
      c.commit();
    }
    // Three of 300 kB fit in 1000 kB; the fourth and everything after it waited.
    assertEquals(List.of(1L, 2L, 3L, 4L), first.stream().map(ClaimedEvent::id).toList());
    assertEquals(
        300 * KB + "{\"key\": \"large-3\", \"value\": \"\"}".length(),
        first.get(2).json().length());
    assertEquals("large-3", first.get(2).data().get("key").textValue());
    assertEquals(3, db.queryLong("SELECT count(*) FROM events WHERE status = 'pending'"));

    // The next batch, with a budget of its own, takes the rest.
    PayloadBudget next = new PayloadBudget(1000 * KB);
    List<ClaimedEvent> rest = claimAndRollBack("data_entry", next);
    assertEquals(List.of(5L, 6L, 7L), rest.stream().map(ClaimedEvent::id).toList());
    assertFalse(next.spent());
  }

  @Test
  void aPayloadLargerThanTheBudgetIsUnreadableWithTheReasonAndTakesNothing() throws Exception {
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'huge', 'value', repeat('y', "
            + 2000 * KB
            + "))");
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key',"
            + " 'fits', 'value', repeat('z', "
            + 500 * KB
            + "))");
    PayloadBudget budget = new PayloadBudget(1000 * KB);
    List<ClaimedEvent> events = claimAndRollBack("data_entry", budget);
    assertEquals(2, events.size());
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> events.get(0).data());
    assertTrue(
        e.getMessage()
            .matches(
                "payload is \\d+ bytes as JSON text, more than the 1024000 a worker thread can"
                    + " hold.*"),
        e.getMessage());
    assertEquals("fits", events.get(1).data().get("key").textValue());
    assertFalse(budget.spent());
  }

  @Test
  void uncompressedPayloadsOverEightKilobytesAreReadAgainstTheBudgetToo() throws Exception {
    // Stored without compression, as incompressible data is: 40 events of about 58 kB.
    db.execute("ALTER TABLE events ALTER COLUMN data SET STORAGE EXTERNAL");
    db.execute(
        "INSERT INTO events (event_type, data) SELECT 'data_entry', jsonb_build_object('key', 'k-'"
            + " || g, 'value', (SELECT string_agg(md5(g || '-' || s), '') FROM generate_series(1,"
            + " 1800) s)) FROM generate_series(1, 40) g");
    assertEquals(
        0,
        db.queryLong("SELECT count(*) FROM events WHERE pg_column_compression(data) IS NOT NULL"));

    PayloadBudget budget = new PayloadBudget(1000 * KB);
    List<ClaimedEvent> events = claimAndRollBack("data_entry", budget);
    // 17 of 57,627 or 57,628 bytes (by the key's length) fit in 1,024,000: the batch stops before
    // the 18th.
    assertEquals(17, events.size());
    assertTrue(budget.spent());
    assertEquals(57_628, events.get(16).json().length());
  }

  @Test
  void aPayloadSmallWhenStoredButLargeAsTextIsReadAgainstTheBudget() throws Exception {
    // 1e1000 is stored in a few bytes and written out as 1,001 digits: twenty of them are about
    // 20 kB of text from a few hundred bytes stored.
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('metric', ('{\"name\": \"n\", \"value\": 1,"
            + " \"tags\": {\"x\": [' || repeat('1e1000, ', 20) || '1]}}')::jsonb)");
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('metric', '{\"name\": \"small\", \"value\":"
            + " 2}')");
    assertEquals(
        1,
        db.queryLong(
            "SELECT count(*) FROM events WHERE pg_column_size(data) < 1000"
                + " AND pg_column_compression(data) IS NULL AND octet_length(data::text) > 20000"));

    PayloadBudget budget = new PayloadBudget(10 * KB);
    List<ClaimedEvent> events = claimAndRollBack("metric", budget);
    assertEquals(2, events.size());
    InvalidEventException e = assertThrows(InvalidEventException.class, () -> events.get(0).data());
    assertTrue(
        e.getMessage().matches("payload is 20\\d{3} bytes as JSON text, more than the 10240 .*"),
        e.getMessage());
    assertEquals("small", events.get(1).data().get("name").textValue());
  }

  @Test
  void numbersAndKeysOfAnyLengthPostgresqlAllowsAreRead() throws Exception {
    // 1e1000 comes back as 1,001 digits, over the JSON parser's default limit of 1,000; numeric
    // allows 131,072 digits before the point and 16,383 after.
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('data_entry', ('{\"key\": \"k\", \"value\":"
            + " 1e1000, \"note\": [-1e131071, 0.' || repeat('9', 16383) || ']}')::jsonb)");
    // Keys too: the parser's default stops at 50,000 characters.
    db.execute(
        "INSERT INTO events (event_type, data) VALUES ('data_entry',"
            + " ('{\"key\": \"k\", \"' || repeat('n', 60000) || '\": 1}')::jsonb)");
    List<ClaimedEvent> events = claimAndRollBack("data_entry", new PayloadBudget(10 * MB));
    JsonNode data = events.get(0).data();
    assertEquals("1" + "0".repeat(1000), data.get("value").bigIntegerValue().toString());
    assertEquals(131_073, data.get("note").get(0).bigIntegerValue().toString().length());
    assertEquals(16_383, data.get("note").get(1).decimalValue().scale());
    assertEquals(1, events.get(1).data().get("n".repeat(60_000)).intValue());
  }

  /** Claims up to 500 events of {@code type} against {@code budget}, then rolls back. */
  private List<ClaimedEvent> claimAndRollBack(String type, PayloadBudget budget) throws Exception {
    try (Connection c = db.connect()) {
      c.setAutoCommit(false);
      List<ClaimedEvent> events = repository.claim(c, type, 500, null, budget).events();
      c.rollback();
      return events;
    }
  }
}
