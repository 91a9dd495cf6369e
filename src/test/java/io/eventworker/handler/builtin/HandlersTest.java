package io.eventworker.handler.builtin;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.eventworker.handler.Event;
import io.eventworker.handler.EventHandler;
import io.eventworker.handler.InvalidEventException;
import io.eventworker.handler.RowInsert;
import io.eventworker.handler.Rows;
import io.eventworker.queue.ClaimedEvent;
import io.eventworker.worker.Handlers;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Tag("unit")
class HandlersTest {

  /** Records rows instead of writing them. */
  static final class RecordedRows implements Rows {
    final List<Object[]> rows = new ArrayList<>();
    final List<RowInsert> targets = new ArrayList<>();

    @Override
    public void insert(RowInsert target, Object... values) {
      targets.add(target);
      rows.add(values);
    }
  }

  private static Event event(String type, Integer user, String json) {
    return new ClaimedEvent(1, type, user, json.getBytes(StandardCharsets.UTF_8), Instant.now(), 0);
  }

  private static RecordedRows handle(EventHandler handler, Integer user, String json)
      throws InvalidEventException {
    RecordedRows rows = new RecordedRows();
    handler.handle(event(handler.eventType(), user, json), rows);
    return rows;
  }

  @Test
  void dataEntryBecomesOneRow() throws Exception {
    RecordedRows rows =
        handle(
            new DataEntryHandler(),
            7,
            "{\"key\":\"k\",\"value\":\"plain"
                + " text\",\"type\":\"note\",\"metadata\":{\"a\":1},\"extra\":true}");
    assertEquals(1, rows.rows.size());
    assertEquals("data_entries", rows.targets.get(0).table());
    Object[] row = rows.rows.get(0);
    assertEquals(7, row[0]);
    assertEquals("k", row[1]);
    assertEquals("plain text", row[2]);
    assertEquals("note", row[3]);
    assertEquals("{\"a\":1}", RowInsert.toText(row[4]));
  }

  @Test
  void dataEntryStoresNonStringValuesAsJsonText() throws Exception {
    assertEquals(
        "{\"x\":[1,2.50]}",
        handle(new DataEntryHandler(), null, "{\"key\":\"k\",\"value\":{\"x\":[1,2.50]}}")
            .rows
            .get(0)[2]);
    assertEquals(
        "42", handle(new DataEntryHandler(), null, "{\"key\":\"k\",\"value\":42}").rows.get(0)[2]);
    assertEquals(
        "true",
        handle(new DataEntryHandler(), null, "{\"key\":\"k\",\"value\":true}").rows.get(0)[2]);
    assertNull(
        handle(new DataEntryHandler(), null, "{\"key\":\"k\",\"value\":null}").rows.get(0)[2]);
    assertNull(handle(new DataEntryHandler(), null, "{\"key\":\"k\"}").rows.get(0)[2]);
  }

  @Test
  void metricKeepsTheExactNumber() throws Exception {
    Object[] row =
        handle(
                new MetricHandler(),
                null,
                "{\"name\":\"cpu\",\"value\":1.10,\"tags\":{\"h\":\"a\"}}")
            .rows
            .get(0);
    assertEquals("cpu", row[0]);
    assertEquals("1.10", RowInsert.toText(row[1]));
    assertEquals("{\"h\":\"a\"}", RowInsert.toText(row[2]));
    assertEquals(
        "1E+400",
        RowInsert.toText(
            handle(new MetricHandler(), null, "{\"name\":\"big\",\"value\":1e400}")
                .rows
                .get(0)[1]));
  }

  @ParameterizedTest(name = "{0}: {1}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "data_entry|[1,2]|payload must be a JSON object, got array",
        "data_entry|\"text\"|payload must be a JSON object, got string",
        "data_entry|{}|field 'key' is required",
        "data_entry|{\"key\":null}|field 'key' is required",
        "data_entry|{\"key\":5}|field 'key' must be a string, got number",
        "data_entry|{\"key\":\"k\",\"type\":[]}|field 'type' must be a string, got array",
        "data_entry|{\"key\":\"k\",\"metadata\":\"x\"}|field 'metadata' must be an object, got"
            + " string",
        "metric|{\"value\":1}|field 'name' is required",
        "metric|{\"name\":\"n\"}|field 'value' is required",
        "metric|{\"name\":\"n\",\"value\":\"1.5\"}|field 'value' must be a number, got string",
        "metric|{\"name\":\"n\",\"value\":true}|field 'value' must be a number, got boolean",
        "metric|{\"name\":\"n\",\"value\":1,\"tags\":[1]}|field 'tags' must be an object, got"
            + " array",
      })
  void invalidPayloadsSayWhatIsWrong(String type, String json, String message) {
    EventHandler handler = type.equals("metric") ? new MetricHandler() : new DataEntryHandler();
    InvalidEventException e =
        assertThrows(InvalidEventException.class, () -> handle(handler, null, json));
    assertEquals(message, e.getMessage());
  }

  @Test
  void lengthsCountCharactersNotBytes() throws Exception {
    String emoji255 = "😀".repeat(255);
    assertEquals(
        emoji255,
        handle(new DataEntryHandler(), null, "{\"key\":\"" + emoji255 + "\"}").rows.get(0)[1]);
    InvalidEventException e =
        assertThrows(
            InvalidEventException.class,
            () -> handle(new DataEntryHandler(), null, "{\"key\":\"" + "a".repeat(256) + "\"}"));
    assertEquals("field 'key' is 256 characters long, at most 255 allowed", e.getMessage());
    e =
        assertThrows(
            InvalidEventException.class,
            () ->
                handle(
                    new DataEntryHandler(),
                    null,
                    "{\"key\":\"k\",\"type\":\"" + "t".repeat(51) + "\"}"));
    assertEquals("field 'type' is 51 characters long, at most 50 allowed", e.getMessage());
  }

  @Test
  void tooDeeplyNestedPayloadIsInvalid() {
    String deep = "{\"key\":\"k\",\"value\":" + "[".repeat(5000) + "]".repeat(5000) + "}";
    InvalidEventException e =
        assertThrows(InvalidEventException.class, () -> handle(new DataEntryHandler(), null, deep));
    assertTrue(e.getMessage().startsWith("payload cannot be read"), e.getMessage());
  }

  @Test
  void registryFindsTheBuiltInsAndRefusesDuplicates() {
    Handlers handlers = Handlers.discover();
    assertArrayEquals(new String[] {"data_entry", "metric"}, handlers.types());
    IllegalStateException e =
        assertThrows(
            IllegalStateException.class,
            () -> Handlers.of(List.of(new MetricHandler(), new MetricHandler())));
    assertTrue(e.getMessage().contains("two handlers for event type 'metric'"), e.getMessage());
  }

  @Test
  void rowInsertIsOneUnnestStatement() {
    assertEquals(
        "INSERT INTO metrics (metric_name, metric_value, tags)\n"
            + "SELECT * FROM unnest(?::text[]::varchar[], ?::text[]::numeric[],"
            + " ?::text[]::jsonb[])",
        MetricHandler.METRICS.sql());
    assertThrows(
        IllegalArgumentException.class,
        () -> RowInsert.into("x; DROP TABLE users").column("a", "text"));
    assertThrows(
        IllegalArgumentException.class, () -> RowInsert.into("t").column("a", "text); DROP"));
  }
}
