package io.eventworker.queue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Tag("unit")
class NewEventTest {

  @Test
  void keepsThePayloadAsWritten() throws Exception {
    NewEvent e = NewEvent.of("metric", 3, " {\"name\":\"x\",\"value\":1.10} ");
    assertEquals("{\"name\":\"x\",\"value\":1.10}", e.data());
    assertEquals(3, e.userId());
    NewEvent line =
        NewEvent.parseLine(
            "{\"user_id\":null, \"data\": {\"v\": 1e400, \"s\": \"a\\\\b\"},"
                + " \"event_type\":\"t\"}");
    assertEquals("{\"v\": 1e400, \"s\": \"a\\\\b\"}", line.data());
    assertEquals("t", line.eventType());
    assertEquals(null, line.userId());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "[1]|expected a JSON object",
        "{\"event_type\":\"m\",\"data\":{}} {}|expected one JSON object on the line, found more"
            + " after it",
        "{\"event_type\":\"m\",\"data\":{\"a\":}}|not valid JSON: Unexpected character ('}' (code"
            + " 125)): expected a value",
        "{\"event_type\":\"m\"}|'data' must be a JSON object",
        "{\"event_type\":\"m\",\"data\":[]}|'data' must be a JSON object",
        "{\"event_type\":\"\",\"data\":{}}|'event_type' must be a non-empty string",
        "{\"event_type\":5,\"data\":{}}|'event_type' must be a non-empty string",
        "{\"event_type\":\"m\",\"user_id\":\"1\",\"data\":{}}|'user_id' must be an integer or null",
        "{\"event_type\":\"m\",\"user_id\":1.5,\"data\":{}}|'user_id' must be an integer or null",
        "{\"event_type\":\"m\",\"user_id\":99999999999,\"data\":{}}|'user_id' must be an integer or"
            + " null",
        "{\"event_type\":\"m\",\"userid\":1,\"data\":{}}|unknown field 'userid' (expected"
            + " event_type, user_id, data, run_at, idempotency_key)",
        "{\"event_type\":\"m\",\"data\":{\"a\":\"x\\u0000y\"}}|'data' contains a \\u0000 escape,"
            + " which PostgreSQL cannot store",
      })
  void refusesWhatEventsCannotHold(String line, String message) {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> NewEvent.parseLine(line));
    assertEquals(message, e.getMessage());
  }

  @Test
  void anEscapedBackslashBeforeU0000IsPlainText() {
    assertNull(NewEvent.unstorable("{\"a\":\"C:\\\\u0000\"}", true));
  }

  @Test
  void refusesLongTypes() {
    InvalidInputException e =
        assertThrows(InvalidInputException.class, () -> NewEvent.of("t".repeat(101), null, "{}"));
    assertEquals("'event_type' is longer than 100 characters", e.getMessage());
  }
}
